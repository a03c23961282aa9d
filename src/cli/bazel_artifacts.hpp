// The files a run leaves for Bazel besides the JUnit XML (see
// bazel_outputs.hpp for their content): in TEST_UNDECLARED_OUTPUTS_DIR
// the JSON report (tach-report.json) and, with coverage on, coverage.py's
// JSON with per-test contexts (tach-coverage-contexts.json); under `bazel
// coverage` the LCOV tracefile in COVERAGE_DIR (tach_lcov.dat, where
// Bazel's merger collects *.dat files) and in COVERAGE_OUTPUT_FILE.
#pragma once

#include "bazel_env.hpp"
#include "session.hpp"
#include "tach.hpp"

namespace tach_cli {

// What `bazel coverage` measures when the command line does not say:
// Bazel runs a test in a tree of symlinks (its runfiles) and tach measures
// files by their resolved paths, so the sources are the resolved
// directories of the COVERAGE_MANIFEST's files (without a manifest, the
// resolved working directory).  Sets args.coverage accordingly.
void choose_bazel_coverage_sources(const BazelEnv &bazel, Arguments &args);

// Failures are warnings on stderr: they must not change the test's result.
void write_bazel_artifacts(tach::Engine &engine, const BazelEnv &bazel, bool coverage_on,
                           const Session &session, int exit_code);

} // namespace tach_cli
