// Lanes: processes the zygote forks so that several tests run at once, one
// per lane, all from the same collected state.  A lane serves tests on a
// socket of its own in the engine's isolation mode (a snapshot runner that
// restores itself, a forker of one child per test, or in-lane for none).
//
// Everything two lanes would otherwise share and clobber is made private to
// the lane right after the fork, before it serves anything: its stderr (a
// pipe of its own to the host), the traceback memfd a timed-out test's
// stack goes to, the debugger relay's socket, pytest's fd-level capture files (shared offsets and
// truncation would mix two tests' output).
#pragma once

#include <cstdint>
#include <vector>

#include "common/unique_fd.hpp"
#include "worker/python_compat.hpp"

namespace tach::worker {

// The zygote's record of one lane.
struct LaneWatch {
    int pid = -1;
    int pidfd = -1;
    // The lane's capture files (memfds), kept to report what a test that
    // killed the lane had written.
    UniqueFd stdout_capture;
    UniqueFd stderr_capture;
};

// In the zygote: forks a lane and hands the host its socket, stderr pipe,
// traceback memfd and, with the debugger relay, a debug socket of the
// lane's own (RunnerReady + SCM_RIGHTS on host_fd).  Returns 0,
// or -1 when the host is gone.  The lane acks on its own socket when ready
// (or, as a snapshot runner that cannot restore here, says why and exits).
int open_lane(PyObject *runner, int host_fd, std::uint32_t isolation, std::vector<LaneWatch> *lanes);

// In the zygote: lane `index` ended; reap it and tell the host
// (RunnerExited) with what its last test had written.
int report_lane_exit(int host_fd, std::vector<LaneWatch> *lanes, std::size_t index);

// In the zygote: kill and reap every lane (shutdown).
void stop_lanes(std::vector<LaneWatch> *lanes);

}  // namespace tach::worker
