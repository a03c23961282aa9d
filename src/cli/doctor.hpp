// `tach --doctor` / `tach doctor`: what this machine and this project give
// tach, for a bug report or for "why is it forking?".
#pragma once

#include "arguments.hpp"
#include "tach.hpp"

namespace tach_cli {

// Probe the kernel, then start an engine with `options` (isolation auto,
// the remaining arguments for pytest) and snapshot it to learn what auto
// resolves to.  Prints to stdout.  Returns 0 when everything could be
// reported (snapshot isolation may still be unsupported), 3 when the probe
// or the engine failed (the reason printed).
int run_doctor(const Arguments &args, const tach::InitOptions &options);

} // namespace tach_cli
