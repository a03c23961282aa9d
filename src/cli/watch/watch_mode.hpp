// tach --watch: run, wait for changes, re-run what they affect.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "../arguments.hpp"

namespace tach_cli::watch {

// One run of watch mode, as the runner is asked for it.
struct WatchRun {
    bool first = true;
    // Collect only these test files (relative to the project root) in place
    // of the arguments' paths; empty: the arguments' own (everything).
    std::vector<std::string> test_files;
    // pytest's configuration changed: start a new worker rather than
    // collecting again in the parked one.
    bool new_worker = false;
};

// Prints one line of watch mode's own (after anything the runs buffered).
void say(const std::string &line);

// Runs `run_once` for the arguments, and again after every change under
// the current directory: only the changed test files when only test files
// changed, everything otherwise.  The runner keeps its worker between runs
// and collects again from its parked pre-collection state where that is
// still current (docs/watch.md).  A run sets *python_files to the
// project's test-module patterns (pytest's python_files; left empty when
// the run could not collect: pytest's default is used).  Returns 0 when
// Ctrl-C stops the wait, or the exit code of a run that Ctrl-C interrupted.
int run_watch(const Arguments &args,
              const std::function<int(const WatchRun &, std::vector<std::string> *python_files)> &run_once);

}  // namespace tach_cli::watch
