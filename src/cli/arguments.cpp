#include "arguments.hpp"

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>

namespace tach_cli {

namespace {

// pytest's short options that take a value (-k EXPR, -m MARKEXPR, -p NAME,
// -o INI, -c FILE, -W WARNING, -r CHARS).  In a cluster such as `-vk expr`
// the rest of the cluster, or else the next argument, is that value.
constexpr std::string_view kPytestShortWithValue = "kmpocWr";

// pytest's long options that take a separate value, so that a value which
// happens to start with '-' is never mistaken for an option of tach's.
constexpr std::string_view kPytestLongWithValue[] = {
    "--basetemp", "--capture", "--confcutdir", "--config-file", "--deselect",
    "--doctest-glob", "--doctest-report", "--durations", "--durations-min",
    "--ignore", "--ignore-glob", "--import-mode", "--junit-prefix",
    "--last-failed-no-failures", "--lfnf", "--log-cli-date-format",
    "--log-cli-format", "--log-cli-level", "--log-date-format", "--log-file",
    "--log-file-date-format", "--log-file-format", "--log-file-level",
    "--log-format", "--log-level", "--override-ini", "--pythonwarnings",
    "--rootdir", "--show-capture", "--tb", "--code-highlight", "--pastebin",
    "--assert",
};

bool is_pytest_long_with_value(std::string_view name) {
    return std::find(std::begin(kPytestLongWithValue), std::end(kPytestLongWithValue),
                     name) != std::end(kPytestLongWithValue);
}

std::string quoted(std::string_view value) { return "'" + std::string(value) + "'"; }

// Walks argv, handing out option values.
class Cursor {
public:
    explicit Cursor(const std::vector<std::string> &argv) : argv_(argv) {}
    bool done() const { return index_ >= argv_.size(); }
    const std::string &next() { return argv_[index_++]; }
    std::optional<std::string> take() {
        if (done())
            return std::nullopt;
        return next();
    }
    // The next argument, not taken.
    const std::string *peek() const { return done() ? nullptr : &argv_[index_]; }

private:
    const std::vector<std::string> &argv_;
    std::size_t index_ = 0;
};

// A long option of tach's, possibly written `--name=value`.
struct LongOption {
    std::string_view name;
    std::optional<std::string_view> inline_value;
};

LongOption split_long(std::string_view arg) {
    const auto eq = arg.find('=');
    if (eq == std::string_view::npos)
        return {arg, std::nullopt};
    return {arg.substr(0, eq), arg.substr(eq + 1)};
}

std::string value_of(const LongOption &opt, Cursor &cursor) {
    if (opt.inline_value)
        return std::string(*opt.inline_value);
    if (auto v = cursor.take())
        return *v;
    throw UsageError("argument " + std::string(opt.name) + ": expected one argument");
}

void reject_value(const LongOption &opt) {
    if (opt.inline_value)
        throw UsageError("argument " + std::string(opt.name) + ": ignored explicit argument " +
                         quoted(*opt.inline_value));
}

// Handle one `--name[=value]` argument.  Returns false when it is not one
// of tach's (the caller forwards it).
bool parse_tach_long(const std::string &arg, Cursor &cursor, Arguments &out) {
    const LongOption opt = split_long(arg);
    const std::string_view name = opt.name;
    if (name == "--exitfirst") {
        reject_value(opt);
        out.maxfail = 1;
    } else if (name == "--maxfail") {
        out.maxfail = parse_count(name, value_of(opt, cursor));
    } else if (name == "--timeout") {
        out.timeout = parse_seconds(name, value_of(opt, cursor));
    } else if (name == "--max-worker-memory") {
        out.max_worker_memory = parse_size(name, value_of(opt, cursor));
    } else if (name == "--isolation") {
        out.isolation = parse_isolation(name, value_of(opt, cursor));
        out.isolation_given = true;
    } else if (name == "--stats") {
        reject_value(opt);
        out.stats = true;
    } else if (name == "--numprocesses") {
        out.workers = parse_workers(name, value_of(opt, cursor));
        out.workers_given = true;
    } else if (name == "--doctor") {
        reject_value(opt);
        out.doctor = true;
    } else if (name == "--watch") {
        reject_value(opt);
        out.watch = true;
    } else if (name == "--sandbox") {
        reject_value(opt);
        out.sandbox = true;
    } else if (name == "--pdb") {
        // Used by tach (the debugger relay) and forwarded: pytest's own
        // --pdb starts the post-mortem session in the worker.
        reject_value(opt);
        out.pdb = true;
        return false;
    } else if (name == "--junit-xml" || name == "--junitxml") {
        out.junit_xml = value_of(opt, cursor);
        if (out.junit_xml.empty())
            throw UsageError("argument " + std::string(name) + ": expected a file name");
    } else if (name == "--collect-only" || name == "--co") {
        reject_value(opt);
        out.collect_only = true;
    } else if (name == "--python") {
        out.python = value_of(opt, cursor);
        if (out.python.empty())
            throw UsageError("argument --python: expected an interpreter path");
    } else if (name == "--cov") {
        // argparse's nargs='?', as pytest-cov declares it: the next
        // argument is the source unless it looks like an option.
        std::optional<std::string> source;
        if (opt.inline_value)
            source = std::string(*opt.inline_value);
        else if (const std::string *next = cursor.peek(); next && !next->empty() &&
                                                          next->front() != '-')
            source = cursor.next();
        out.coverage.cov = true;
        if (!source || source->empty())
            out.coverage.all_sources = true;
        else
            out.coverage.sources.push_back(*source);
    } else if (name == "--cov-report") {
        parse_cov_report(name, value_of(opt, cursor), out.coverage);
    } else if (name == "--cov-context") {
        parse_cov_context(name, value_of(opt, cursor), out.coverage);
    } else if (name == "--no-cov") {
        reject_value(opt);
        out.coverage.no_cov = true;
    } else if (name == "--version") {
        reject_value(opt);
        out.version = true;
    } else if (name == "--help") {
        reject_value(opt);
        out.help = true;
    } else {
        return false;
    }
    return true;
}

} // namespace

double parse_seconds(std::string_view option, std::string_view value) {
    const std::string text(value);
    char *end = nullptr;
    errno = 0;
    const double seconds = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || errno != 0 ||
        !std::isfinite(seconds) || seconds < 0)
        throw UsageError("argument " + std::string(option) + ": invalid value " + quoted(value) +
                         " (expected a number of seconds, 0 for no limit)");
    return seconds;
}

int parse_count(std::string_view option, std::string_view value) {
    const std::string text(value);
    char *end = nullptr;
    errno = 0;
    const long n = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || end != text.c_str() + text.size() || errno != 0 || n < 0 ||
        n > 1000000000L)
        throw UsageError("argument " + std::string(option) + ": invalid value " + quoted(value) +
                         " (expected a whole number >= 0)");
    return static_cast<int>(n);
}

std::uint64_t parse_size(std::string_view option, std::string_view value) {
    const auto bad = [&] {
        return UsageError("argument " + std::string(option) + ": invalid size " + quoted(value) +
                          " (expected a whole number of bytes with an optional K, M, G or T "
                          "suffix, e.g. 2G; 0 for no limit)");
    };
    std::size_t digits = 0;
    while (digits < value.size() && value[digits] >= '0' && value[digits] <= '9')
        ++digits;
    if (digits == 0 || digits > 19)
        throw bad();
    std::uint64_t number = 0;
    for (std::size_t i = 0; i < digits; ++i)
        number = number * 10 + static_cast<std::uint64_t>(value[i] - '0');
    std::string suffix;
    for (char c : value.substr(digits))
        suffix.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    if (suffix.size() > 1 && (suffix.substr(1) == "B" || suffix.substr(1) == "IB"))
        suffix.resize(1);
    int shift = 0;
    if (suffix.empty() || suffix == "B")
        shift = 0;
    else if (suffix == "K")
        shift = 10;
    else if (suffix == "M")
        shift = 20;
    else if (suffix == "G")
        shift = 30;
    else if (suffix == "T")
        shift = 40;
    else
        throw bad();
    if (shift && number > (UINT64_MAX >> shift))
        throw bad();
    return number << shift;
}

tach::Isolation parse_isolation(std::string_view option, std::string_view value) {
    if (value == "auto")
        return tach::Isolation::Auto;
    if (value == "fork")
        return tach::Isolation::Fork;
    if (value == "none")
        return tach::Isolation::None;
    if (value == "snapshot")
        return tach::Isolation::Snapshot;
    throw UsageError("argument " + std::string(option) + ": invalid choice " + quoted(value) +
                     " (choose from 'auto', 'fork', 'none', 'snapshot')");
}

int parse_workers(std::string_view option, std::string_view value) {
    if (value == "auto" || value == "logical")
        return 0;
    const int n = parse_count(option, value);
    // One worker and "0" (pytest-xdist's "no distribution") mean the same.
    return n == 0 ? 1 : n;
}

ColorChoice parse_color(std::string_view option, std::string_view value) {
    if (value == "auto")
        return ColorChoice::Auto;
    if (value == "yes")
        return ColorChoice::Yes;
    if (value == "no")
        return ColorChoice::No;
    throw UsageError("argument " + std::string(option) + ": invalid choice " + quoted(value) +
                     " (choose from 'yes', 'no', 'auto')");
}

Arguments parse_arguments(const std::vector<std::string> &argv) {
    Arguments out;
    Cursor cursor(argv);
    bool only_positional = false;

    // `tach doctor [ARGS]` is `tach --doctor [ARGS]` (a directory named
    // doctor is still reachable as ./doctor).
    if (!argv.empty() && argv.front() == "doctor") {
        out.doctor = true;
        cursor.next();
    }

    while (!cursor.done()) {
        const std::string &arg = cursor.next();

        // After `--` everything is a path or node id, for pytest.
        if (only_positional || arg == "--") {
            if (only_positional)
                out.positional.push_back(out.pytest_args.size());
            only_positional = true;
            out.pytest_args.push_back(arg);
            continue;
        }

        if (arg.rfind("--", 0) == 0) {
            if (parse_tach_long(arg, cursor, out))
                continue;
            const LongOption opt = split_long(arg);
            // Used by tach and forwarded: pytest's assertion diffs depend on
            // its verbosity, and its colour choice shows in its messages.
            if (opt.name == "--verbose" && !opt.inline_value) {
                out.verbosity++;
            } else if (opt.name == "--quiet" && !opt.inline_value) {
                out.verbosity--;
            } else if (opt.name == "--color") {
                const std::string value = value_of(opt, cursor);
                out.color = parse_color(opt.name, value);
                out.pytest_args.push_back("--color=" + value);
                continue;
            }
            out.pytest_args.push_back(arg);
            if (!opt.inline_value && is_pytest_long_with_value(opt.name)) {
                if (auto v = cursor.take())
                    out.pytest_args.push_back(*v);
            }
            continue;
        }

        if (arg.size() < 2 || arg[0] != '-') {
            out.positional.push_back(out.pytest_args.size());
            out.pytest_args.push_back(arg);  // a path, a node id, or "-"
            continue;
        }

        // A cluster of short options, e.g. -x, -vv, -xq, -k EXPR, -kEXPR.
        // Tach's letters (x, h) are taken out; the rest is forwarded as one
        // cluster, followed by the value argument if its last letter needs one.
        std::string forwarded = "-";
        bool value_follows = false;
        for (std::size_t i = 1; i < arg.size(); i++) {
            const char c = arg[i];
            if (c == 'x') {
                out.maxfail = 1;
            } else if (c == 'h') {
                out.help = true;
            } else if (c == 'n') {
                // -n N, -nN (pytest-xdist's spelling): the rest is the value.
                std::string value = arg.substr(i + 1);
                if (value.empty()) {
                    auto v = cursor.take();
                    if (!v)
                        throw UsageError("argument -n/--numprocesses: expected one argument");
                    value = *v;
                }
                out.workers = parse_workers("-n/--numprocesses", value);
                out.workers_given = true;
                break;
            } else if (kPytestShortWithValue.find(c) != std::string_view::npos) {
                forwarded += arg.substr(i);
                value_follows = (i + 1 == arg.size());
                break;
            } else {
                if (c == 'v')
                    out.verbosity++;
                else if (c == 'q')
                    out.verbosity--;
                forwarded += c;
            }
        }
        if (forwarded.size() > 1)
            out.pytest_args.push_back(forwarded);
        if (value_follows) {
            if (auto v = cursor.take())
                out.pytest_args.push_back(*v);
        }
    }
    return out;
}

} // namespace tach_cli
