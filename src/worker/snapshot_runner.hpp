// Snapshot isolation, worker side.  The zygote forks a runner; the runner
// takes the golden image of itself (memory and kernel state), then serves
// tests on its own socket: after each test it restores itself in place and
// reports how (Restored).  When it cannot restore exactly it says why and
// exits; the host asks the zygote for a new runner.
#pragma once

#include "worker/python_compat.hpp"

namespace tach::worker {

struct RunnerWatch {
    int pid = -1;
    int pidfd = -1;
    bool active() const { return pid > 0; }
};

// In the zygote: forks a runner and hands its socket to the host
// (RunnerReady + SCM_RIGHTS on host_fd).  Returns 0 or -1 (host gone).
int spawn_snapshot_runner(PyObject *runner, int host_fd, RunnerWatch *watch);

// In a freshly forked child of the zygote: become a snapshot runner
// serving on `fd` (takes the golden image, acks, serves; never returns).
[[noreturn]] void snapshot_runner_main(PyObject *runner, int fd);

// In the zygote: the runner ended; reap it and tell the host, with what
// its last test wrote before dying.
int report_runner_exit(PyObject *runner, int host_fd, RunnerWatch *watch);

// In the zygote: kill and reap the runner (shutdown, or a new one wanted).
void stop_snapshot_runner(RunnerWatch *watch);

}  // namespace tach::worker
