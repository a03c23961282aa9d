// The resolve_options half of fuzz_options.cpp: tach_init's options
// filled from the fuzz input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "supervisor/engine.hpp"
#include "tach.h"

void tach_fuzz_resolve_options(const std::uint8_t *data, std::size_t size, const std::vector<std::string> &argv) {
    std::uint64_t word = 0;
    std::memcpy(&word, data, size < sizeof word ? size : sizeof word);
    tach_init_options opts = TACH_INIT_OPTIONS_INIT;
    static const std::size_t sizes[] = {
        offsetof(tach_init_options, shim_path) + sizeof(const char *),
        offsetof(tach_init_options, ncoverage_sources) + sizeof(std::size_t),
        offsetof(tach_init_options, debugger) + sizeof(int), sizeof(tach_init_options), 0, 7};
    opts.size = sizes[word % (sizeof sizes / sizeof sizes[0])];
    std::vector<const char *> args;
    for (const auto &a : argv) args.push_back(a.c_str());
    opts.args = (word >> 3) % 4 == 0 ? nullptr : args.data();
    opts.nargs = (word >> 5) % 8 == 0 ? args.size() + 1 : args.size();
    if (!opts.args && (word >> 9) % 2) opts.nargs = 0;
    if (opts.nargs > args.size()) opts.nargs = args.size();  // the struct's contract: nargs entries exist
    opts.project_root = argv.size() > 1 && (word >> 10) % 2 ? argv[1].c_str() : nullptr;
    int isolation = static_cast<int>((word >> 11) % 7) - 1;  // stored as a C caller would
    std::memcpy(&opts.isolation, &isolation, sizeof isolation);
    double timeouts[] = {0, -1, 1e308, 0.5, __builtin_nan(""), __builtin_inf()};
    opts.timeout_seconds = timeouts[(word >> 14) % 6];
    opts.coverage = static_cast<int>((word >> 17) % 2);
    opts.coverage_sources = (word >> 18) % 2 ? args.data() : nullptr;
    opts.ncoverage_sources = opts.coverage_sources ? args.size() : (word >> 19) % 2;
    opts.max_worker_memory = (word >> 20) % 3 == 0 ? 0 : (word >> 22);
    opts.worker_path = argv.size() > 2 ? argv[2].c_str() : nullptr;
    tach::EngineOptions out;
    std::string message;
    int status = tach::resolve_options(&opts, &out, &message);
    if (status != TACH_OK && message.empty()) std::abort();  // every refusal says why
}
