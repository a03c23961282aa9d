// The worker's request loop: after collection, answer the host's Snapshot,
// Run, Restore and Shutdown requests in the chosen isolation mode.
#pragma once

#include "worker/python_compat.hpp"

namespace tach::worker {

// Returns 0 on Shutdown or when the host hung up, -1 on a protocol or I/O
// error.  Called with the GIL held; releases it while waiting.
int serve(PyObject *runner);

}  // namespace tach::worker
