// Starting worker processes from one long-lived thread.
//
// The worker asks the kernel to kill it when its parent dies
// (PR_SET_PDEATHSIG).  "Parent" there means the *thread* that created it, so
// a worker spawned from a short-lived host thread would die with that
// thread.  All spawns therefore happen on a thread of the library's own that
// lives as long as the host process.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace tach {

struct SpawnRequest {
    std::string path;
    std::vector<std::string> argv;           // argv[0] included
    std::vector<std::pair<int, int>> fds;    // (fd in the host, fd number in the child)
    int stdout_fd = -1;                      // -1: /dev/null
    int stderr_fd = -1;                      // -1: /dev/null
    bool new_process_group = true;           // so a terminal's Ctrl-C reaches only the host
    std::vector<std::string> extra_env;      // "NAME=value" added to the host's environment
};

// posix_spawn()s the request on the spawner thread.  Returns 0 and sets
// *pid, or an errno value.  The child's stdin is /dev/null.  Thread-safe.
int spawn_process(const SpawnRequest &request, pid_t *pid);

}  // namespace tach
