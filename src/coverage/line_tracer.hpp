// Worker side of line coverage: which lines of the measured files ran.
//
// CPython 3.10 and 3.11: a C trace function (PyEval_SetTrace).  On a call
// event it decides once per filename object whether the code's file is
// measured; frames of other files get f_trace_lines = False, so no line
// event is ever delivered for them.  Line events of measured frames set a
// bit per (file, line).
//
// CPython 3.12 and newer: sys.monitoring with a tool id of its own, PY_START
// enabling LINE only for code objects of measured files and both callbacks
// returning DISABLE, so each line costs one callback per test.  That path is
// compiled only against 3.12+ headers and has NOT been run: this project
// builds and tests a 3.11 worker only (see docs/coverage.md).
//
// Threads: only the thread that starts the tracer (the interpreter's main
// thread, which runs pytest) is traced; threads a test starts are not.
//
// All state lives on the worker's heap: a fork gives the test its own copy
// and an in-place restore rolls it back with the rest of memory.  Every
// function needs the GIL.
#pragma once

#include "worker/python_compat.hpp"

#include <string>
#include <vector>

#include "common/protocol.hpp"

namespace tach::coverage {

struct TracerConfig {
    // Absolute directories whose files are measured (already resolved).
    std::vector<std::string> sources;
    // Directories not measured unless a source lies inside them
    // (stdlib, site-packages: a source inside site-packages is measured).
    std::vector<std::string> excludes;
    // Directories never measured (the tach shim, pytest, pluggy).
    std::vector<std::string> never;
};

// Installs the tracer for the calling thread.  Returns "" or why not (a
// Python error is then cleared).
std::string start_line_tracer(TracerConfig config);

bool line_tracer_active();

// Forgets every recorded line (at the start of a test).
void clear_recorded_lines();

// The recorded lines, by file path (sorted), lines ascending.
std::vector<protocol::FileLines> recorded_lines();

// Whether `path` (absolute, resolved) is measured under the current
// configuration; for tests and for the shim's walk of the sources.
bool is_measured_path(const std::string &path);

}  // namespace tach::coverage
