// Command-line parsing: split tach's own options from the arguments that
// go to pytest.  Tach's options are consumed (except -q/-v and --color,
// which tach uses and forwards); everything else is forwarded in order,
// untouched, for pytest's parser in the worker to validate.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "coverage_options.hpp"
#include "tach.hpp"

namespace tach_cli {

enum class ColorChoice { Auto, Yes, No };

struct Arguments {
    std::vector<std::string> pytest_args;  // forwarded to tach_init, in order
    int verbosity = 0;                     // count of -v minus count of -q
    int maxfail = 0;                       // stop after this many failures; 0: never
    double timeout = 0.0;                  // per-test seconds; 0: no limit
    std::uint64_t max_worker_memory = 0;   // --max-worker-memory bytes; 0: no limit
    tach::Isolation isolation = tach::Isolation::Auto;
    bool isolation_given = false;          // --isolation was on the command line
    bool stats = false;                    // --stats: isolation statistics at the end
    bool doctor = false;                   // --doctor / `tach doctor`
    std::string junit_xml;                 // JUnit XML output path; "": none
    bool collect_only = false;
    std::string python;                    // interpreter; "": the library's default
    ColorChoice color = ColorChoice::Auto;
    bool help = false;
    bool version = false;
    CoverageArguments coverage;            // --cov, --cov-report, --cov-context, --no-cov
    bool watch = false;                    // --watch: re-run on changes (docs/watch.md)
    std::vector<std::size_t> positional;   // indices in pytest_args of paths and node ids
    bool pdb = false;                      // --pdb: post-mortem debugger on failures
    bool sandbox = false;                  // --sandbox: worker in new user/mount/net namespaces
    int workers = 0;                       // -n N: 0 = auto (the number of CPUs)
    bool workers_given = false;            // -n was on the command line
};

// A bad tach option or option value.  what() is the message without any
// "tach: error:" prefix.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Parse argv without the program name.  Throws UsageError.
Arguments parse_arguments(const std::vector<std::string> &argv);

// Option values, exposed for the self-test.  Each throws UsageError naming
// `option` when the value is not acceptable.
double parse_seconds(std::string_view option, std::string_view value);
int parse_count(std::string_view option, std::string_view value);
// A size: a whole number with an optional K, M, G or T suffix (powers of
// 1024, case-insensitive, optionally followed by B or iB); 0 for none.
std::uint64_t parse_size(std::string_view option, std::string_view value);
tach::Isolation parse_isolation(std::string_view option, std::string_view value);
ColorChoice parse_color(std::string_view option, std::string_view value);
// -n's value: a count (0 and 1: one worker) or "auto" (returned as 0).
int parse_workers(std::string_view option, std::string_view value);

} // namespace tach_cli
