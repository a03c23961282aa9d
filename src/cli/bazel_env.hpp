// Bazel's test encyclopedia environment contract (`bazel test` sets these
// variables for a test binary): where to write the JUnit XML, the
// --test_filter value, test sharding, the premature-exit and
// infrastructure-failure marker files, and the private temp directory.
// Each variable counts only when it is set and non-empty.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "arguments.hpp"

namespace tach_cli {

struct BazelEnv {
    std::size_t total_shards = 0;        // 0: no sharding
    std::size_t shard_index = 0;
    std::string shard_status_file;       // TEST_SHARD_STATUS_FILE
    std::string premature_exit_file;     // TEST_PREMATURE_EXIT_FILE
    std::string infrastructure_file;     // TEST_INFRASTRUCTURE_FAILURE_FILE
    std::string test_tmpdir;             // TEST_TMPDIR
    std::string undeclared_outputs_dir;  // TEST_UNDECLARED_OUTPUTS_DIR
    std::string coverage_dir;            // COVERAGE_DIR
    std::string coverage_output_file;    // COVERAGE_OUTPUT_FILE
    std::string coverage_manifest;       // COVERAGE_MANIFEST
    bool coverage = false;               // bazel coverage: write its LCOV
    bool coverage_sources_auto = false;  // ... and tach chose what to measure


    bool sharded() const { return total_shards > 0; }
};

// A lookup such as std::getenv; returns "" for unset.
using EnvLookup = std::function<std::string(const char *)>;
std::string process_env(const char *name);

// Read the variables and fold into args what changes the run's arguments:
// XML_OUTPUT_FILE (unless --junit-xml was given), TESTBRIDGE_TEST_ONLY
// (node ids / .py paths appended as positional arguments, anything else
// as -k VALUE), TEST_TMPDIR (--basetemp=$TEST_TMPDIR/pytest unless the
// user gave --basetemp), COVERAGE_DIR / COVERAGE_OUTPUT_FILE (`bazel
// coverage`: --cov over the project root with no terminal table, unless
// the command line asked for coverage itself).  Throws UsageError for bad
// shard values.
BazelEnv apply_bazel_env(Arguments &args, const EnvLookup &env = process_env);

// The tests of this shard: index i (collection order) with
// i % total == index.  All of them when not sharded.
std::vector<std::string> shard_tests(const BazelEnv &bazel,
                                     const std::vector<std::string> &nodeids);

// Side effects on the file system (errors are ignored, as they must not
// change the test's result): create / update the mtime of a file, write a
// message to a file, remove a file.
void touch_file(const std::string &path);
void write_text_file(const std::string &path, const std::string &text);
void remove_file(const std::string &path);

} // namespace tach_cli
