// What tach leaves for Bazel besides the JUnit XML: a JSON report of the
// per-test outcomes (for TEST_UNDECLARED_OUTPUTS_DIR) and the LCOV
// tracefile Bazel's coverage merger reads (COVERAGE_DIR), limited to the
// files of COVERAGE_MANIFEST and named as the manifest names them.
// Pure text transformations; the file system is reached through the
// resolver a caller passes.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "session.hpp"

namespace tach_cli {

// The session as JSON: {"tach_report": 1, "exitcode", "duration",
// "python", "pytest", "isolation", "collected", "deselected", "summary":
// {outcome: count}, "tests": [{"nodeid", "outcome", "duration", "phase",
// "message", "longrepr", "teardown_failed"}], "collect_errors": [{"nodeid", "longrepr"}]}.
std::string render_json_report(const Session &session, int exit_code);

// A JSON string literal (quotes included); invalid UTF-8 becomes U+FFFD.
std::string json_quote(std::string_view text);

// The lines of a COVERAGE_MANIFEST file's text: one source path per line
// (relative to Bazel's exec root), blank lines dropped.
std::vector<std::string> manifest_entries(std::string_view text);

// Rewrite an LCOV tracefile for Bazel.  resolve(path) gives the canonical
// absolute path of a manifest entry ("" when it does not exist); a record
// (SF: ... end_of_record) whose SF is an entry, or the resolution of one,
// is kept under the entry's name, every other record (with the TN: line
// before it) is dropped.  With no
// entries at all every record is kept, its SF made relative to `root`
// when it lies under it.
std::string lcov_for_bazel(std::string_view lcov, const std::vector<std::string> &entries,
                           const std::function<std::string(const std::string &)> &resolve,
                           const std::string &root);

} // namespace tach_cli
