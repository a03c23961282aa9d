// libFuzzer target: the CLI's argument parser and the library's options
// resolution (tach_init's validation), on arbitrary input.
//
// The input is split at NUL bytes into arguments.  parse_arguments must
// return or throw UsageError (never anything else, never crash); the size,
// seconds and count parsers likewise on each argument.  The same strings
// then fill a tach_init_options (layout size, isolation, timeout,
// max_worker_memory and coverage sources picked from the input) for
// resolve_options, which must return a status and a message, never crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "arguments.hpp"

// In fuzz_options_resolve.cpp (tach.hpp and the engine's headers both
// name a tach::Engine, so they live in separate files).
void tach_fuzz_resolve_options(const std::uint8_t *data, std::size_t size, const std::vector<std::string> &argv);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    std::vector<std::string> argv;
    std::string current;
    for (std::size_t i = 0; i < size; ++i) {
        if (data[i] == 0) {
            argv.push_back(current);
            current.clear();
        } else {
            current.push_back(static_cast<char>(data[i]));
        }
    }
    argv.push_back(current);

    try {
        (void)tach_cli::parse_arguments(argv);
    } catch (const tach_cli::UsageError &) {
    }
    for (const auto &a : argv) {
        try {
            (void)tach_cli::parse_size("--max-worker-memory", a);
        } catch (const tach_cli::UsageError &) {
        }
        try {
            (void)tach_cli::parse_seconds("--timeout", a);
        } catch (const tach_cli::UsageError &) {
        }
        try {
            (void)tach_cli::parse_count("--maxfail", a);
        } catch (const tach_cli::UsageError &) {
        }
    }

    tach_fuzz_resolve_options(data, size, argv);
    return 0;
}
