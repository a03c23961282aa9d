// tach --watch: run, wait for changes, re-run what they affect.
#pragma once

#include <functional>

#include "../arguments.hpp"

namespace tach_cli::watch {

// Runs `run_once(args)` and then again after every change under the current
// directory: only the changed test files when only test files changed,
// everything otherwise.  Each run starts a fresh engine (docs/watch.md says
// why the zygote is not reused).  Returns 0 when Ctrl-C stops the wait, or
// the exit code of a run that Ctrl-C interrupted.
int run_watch(const Arguments &args, const std::function<int(const Arguments &)> &run_once);

}  // namespace tach_cli::watch
