// The worker's request loop: after collection, answer the host's Snapshot,
// Run, Restore and Shutdown requests in the chosen isolation mode.
#pragma once

#include "worker/python_compat.hpp"

namespace tach::worker {

// Returns 0 on Shutdown or when the host hung up, -1 on a protocol or I/O
// error.  Called with the GIL held; releases it while waiting.
int serve(PyObject *runner);

// A lane's loop (fork or none isolation) on its own socket `fd`: acks once
// ready, then runs each test it is sent (in a forked child, or in-lane)
// until Shutdown or the host hangs up (0), or an I/O error (-1).
int serve_lane(PyObject *runner, int fd, unsigned isolation);

}  // namespace tach::worker
