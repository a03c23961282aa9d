// Fork isolation: each test runs in a child of the zygote, which stays
// pristine.  The child sends its result through a pipe; a child that dies
// first (signal, _exit) becomes a `crashed` result.
#pragma once

#include "worker/python_compat.hpp"

#include <string>

namespace tach::worker {

// Runs `nodeid` in a forked child, tells the host the child's pid
// (Started), waits for it and sends the Result frame to the host.
// Returns 0, or -1 when the host can no longer be reached.
int run_forked(PyObject *runner, const std::string &nodeid, int host_fd);

}  // namespace tach::worker
