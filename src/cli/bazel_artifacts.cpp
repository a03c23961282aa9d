#include "bazel_artifacts.hpp"

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <unistd.h>

#include "bazel_outputs.hpp"

namespace tach_cli {

namespace {

bool read_file(const std::string &path, std::string &text) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return false;
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
    return true;
}

bool write_file(const std::string &path, const std::string &text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    return static_cast<bool>(out);
}

void warn(const std::string &what) {
    std::fflush(stdout);
    std::fprintf(stderr, "WARNING: %s\n", what.c_str());
}

std::string canonical(const std::string &path) {
    char buffer[PATH_MAX];
    return ::realpath(path.c_str(), buffer) ? std::string(buffer) : std::string();
}

std::vector<std::string> read_manifest(const BazelEnv &bazel, bool &ok) {
    ok = true;
    std::string text;
    if (bazel.coverage_manifest.empty())
        return {};
    if (!read_file(bazel.coverage_manifest, text)) {
        ok = false;
        return {};
    }
    return manifest_entries(text);
}

std::string resolved_cwd() {
    std::error_code ec;
    const std::string cwd = std::filesystem::current_path(ec).string();
    const std::string resolved = canonical(cwd);
    return resolved.empty() ? cwd : resolved;
}

// The engine's LCOV, rewritten for Bazel, into COVERAGE_DIR and
// COVERAGE_OUTPUT_FILE.
void write_bazel_lcov(tach::Engine &engine, const BazelEnv &bazel) {
    const char *tmpdir = std::getenv("TMPDIR");
    std::string raw = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/tach-lcov-XXXXXX";
    const int fd = mkstemp(raw.data());
    if (fd < 0) {
        warn("cannot create a temporary file for the LCOV report in " + raw);
        return;
    }
    ::close(fd);
    std::string lcov;
    const bool written = tach_coverage_write(engine.capi(), TACH_COVERAGE_LCOV, raw.c_str(), 0) ==
                         TACH_OK;
    const std::string error = written ? "" : engine.errmsg();
    const bool read = written && read_file(raw, lcov);
    ::unlink(raw.c_str());
    if (!read) {
        warn("cannot write the LCOV report for bazel coverage: " + error);
        return;
    }
    bool ok;
    const std::vector<std::string> entries = read_manifest(bazel, ok);
    if (!ok)
        warn("cannot read COVERAGE_MANIFEST " + bazel.coverage_manifest +
             "; every measured file is reported");
    const std::string tracefile = lcov_for_bazel(lcov, entries, canonical, resolved_cwd());
    std::error_code ec;
    std::vector<std::string> targets;
    if (!bazel.coverage_dir.empty()) {
        std::filesystem::create_directories(bazel.coverage_dir, ec);
        targets.push_back(bazel.coverage_dir + "/tach_lcov.dat");
    }
    if (!bazel.coverage_output_file.empty())
        targets.push_back(bazel.coverage_output_file);
    for (const std::string &target : targets)
        if (!write_file(target, tracefile))
            warn("cannot write the LCOV report to " + target);
}

} // namespace

void choose_bazel_coverage_sources(const BazelEnv &bazel, Arguments &args) {
    if (!bazel.coverage_sources_auto)
        return;
    bool ok;
    std::set<std::string> dirs;
    for (const std::string &entry : read_manifest(bazel, ok)) {
        const std::string resolved = canonical(entry);
        if (!resolved.empty())
            dirs.insert(std::filesystem::path(resolved).parent_path().string());
    }
    if (dirs.empty())
        dirs.insert(resolved_cwd());
    args.coverage.all_sources = false;
    args.coverage.sources.assign(dirs.begin(), dirs.end());
}

void write_bazel_artifacts(tach::Engine &engine, const BazelEnv &bazel, bool coverage_on,
                           const Session &session, int exit_code) {
    if (!bazel.undeclared_outputs_dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(bazel.undeclared_outputs_dir, ec);
        const std::string report = bazel.undeclared_outputs_dir + "/tach-report.json";
        if (!write_file(report, render_json_report(session, exit_code)))
            warn("cannot write the JSON report to " + report);
        if (coverage_on) {
            const std::string contexts =
                bazel.undeclared_outputs_dir + "/tach-coverage-contexts.json";
            if (tach_coverage_write(engine.capi(), TACH_COVERAGE_JSON, contexts.c_str(), 1) !=
                TACH_OK)
                warn("cannot write the coverage contexts to " + contexts + ": " +
                     engine.errmsg());
        }
    }
    if (bazel.coverage && coverage_on)
        write_bazel_lcov(engine, bazel);
}

} // namespace tach_cli
