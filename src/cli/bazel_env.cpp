#include "bazel_env.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tach_cli {

namespace {

std::size_t parse_shard_number(const char *name, const std::string &value) {
    char *end = nullptr;
    errno = 0;
    const long long n = std::strtoll(value.c_str(), &end, 10);
    if (value.empty() || end != value.c_str() + value.size() || errno != 0 || n < 0 ||
        n > 1000000000LL || value.front() == '-' || value.front() == '+' ||
        value.front() == ' ')
        throw UsageError(std::string("environment variable ") + name + ": invalid value '" +
                         value + "' (expected a whole number >= 0)");
    return static_cast<std::size_t>(n);
}

bool ends_with(const std::string &s, const std::string &suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool has_basetemp(const std::vector<std::string> &pytest_args) {
    for (const std::string &arg : pytest_args) {
        if (arg == "--")
            break;
        if (arg == "--basetemp" || arg.rfind("--basetemp=", 0) == 0)
            return true;
    }
    return false;
}

// Options go before any `--` (after which everything is positional).
void insert_options(std::vector<std::string> &pytest_args, const std::vector<std::string> &opts) {
    std::size_t at = 0;
    while (at < pytest_args.size() && pytest_args[at] != "--")
        at++;
    pytest_args.insert(pytest_args.begin() + static_cast<std::ptrdiff_t>(at), opts.begin(),
                       opts.end());
}

std::vector<std::string> split_commas(const std::string &value) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= value.size()) {
        std::size_t comma = value.find(',', start);
        if (comma == std::string::npos)
            comma = value.size();
        std::string part = value.substr(start, comma - start);
        while (!part.empty() && part.front() == ' ')
            part.erase(part.begin());
        while (!part.empty() && part.back() == ' ')
            part.pop_back();
        if (!part.empty())
            parts.push_back(part);
        start = comma + 1;
    }
    return parts;
}

} // namespace

std::string process_env(const char *name) {
    const char *value = std::getenv(name);
    return value ? value : "";
}

BazelEnv apply_bazel_env(Arguments &args, const EnvLookup &env) {
    BazelEnv bazel;

    if (const std::string xml = env("XML_OUTPUT_FILE"); !xml.empty() && args.junit_xml.empty())
        args.junit_xml = xml;

    const std::string total = env("TEST_TOTAL_SHARDS");
    const std::string index = env("TEST_SHARD_INDEX");
    if (!total.empty() || !index.empty()) {
        if (total.empty())
            throw UsageError("environment variable TEST_SHARD_INDEX is set but "
                             "TEST_TOTAL_SHARDS is not");
        bazel.total_shards = parse_shard_number("TEST_TOTAL_SHARDS", total);
        if (bazel.total_shards == 0)
            throw UsageError("environment variable TEST_TOTAL_SHARDS: invalid value '0' "
                             "(expected a whole number >= 1)");
        bazel.shard_index = index.empty() ? 0 : parse_shard_number("TEST_SHARD_INDEX", index);
        if (bazel.shard_index >= bazel.total_shards)
            throw UsageError("environment variable TEST_SHARD_INDEX: invalid value '" + index +
                             "' (expected 0 <= TEST_SHARD_INDEX < TEST_TOTAL_SHARDS = " +
                             total + ")");
        bazel.shard_status_file = env("TEST_SHARD_STATUS_FILE");
    }

    bazel.premature_exit_file = env("TEST_PREMATURE_EXIT_FILE");
    bazel.infrastructure_file = env("TEST_INFRASTRUCTURE_FAILURE_FILE");

    if (const std::string filter = env("TESTBRIDGE_TEST_ONLY"); !filter.empty()) {
        if (filter.find("::") != std::string::npos || ends_with(filter, ".py")) {
            for (const std::string &part : split_commas(filter))
                args.pytest_args.push_back(part);
        } else {
            insert_options(args.pytest_args, {"-k", filter});
        }
    }

    bazel.undeclared_outputs_dir = env("TEST_UNDECLARED_OUTPUTS_DIR");
    bazel.coverage_dir = env("COVERAGE_DIR");
    bazel.coverage_output_file = env("COVERAGE_OUTPUT_FILE");
    bazel.coverage_manifest = env("COVERAGE_MANIFEST");
    // Bazel sets these only under `bazel coverage`.  Its merger wants LCOV
    // files, not a table in the test log; an explicit --cov keeps the
    // user's own choices (sources, reports).
    if ((!bazel.coverage_dir.empty() || !bazel.coverage_output_file.empty()) &&
        !args.coverage.no_cov) {
        bazel.coverage = true;
        if (!args.coverage.cov) {
            bazel.coverage_sources_auto = true;
            args.coverage.cov = true;
            args.coverage.all_sources = true;
            if (args.coverage.reports.empty())
                args.coverage.reports[""] = "";
        }
    }

    bazel.test_tmpdir = env("TEST_TMPDIR");
    if (!bazel.test_tmpdir.empty() && !has_basetemp(args.pytest_args))
        insert_options(args.pytest_args, {"--basetemp=" + bazel.test_tmpdir + "/pytest"});
    return bazel;
}

std::vector<std::string> shard_tests(const BazelEnv &bazel,
                                     const std::vector<std::string> &nodeids) {
    if (!bazel.sharded())
        return nodeids;
    std::vector<std::string> mine;
    for (std::size_t i = bazel.shard_index; i < nodeids.size(); i += bazel.total_shards)
        mine.push_back(nodeids[i]);
    return mine;
}

void touch_file(const std::string &path) {
    if (path.empty())
        return;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        ::futimens(fd, nullptr);
        ::close(fd);
    }
}

void write_text_file(const std::string &path, const std::string &text) {
    if (path.empty())
        return;
    if (std::FILE *f = std::fopen(path.c_str(), "we")) {
        std::fwrite(text.data(), 1, text.size(), f);
        if (text.empty() || text.back() != '\n')
            std::fputc('\n', f);
        std::fclose(f);
    }
}

void remove_file(const std::string &path) {
    if (!path.empty())
        ::unlink(path.c_str());
}

} // namespace tach_cli
