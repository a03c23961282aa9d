// One lane as the host sees it (a tach_runner): a process the zygote forked
// that serves tests on a socket of its own, so that several tests run at
// once from the same collected state.  Used by one thread at a time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "supervisor/worker_process.hpp"

namespace tach {

struct Lane {
    std::optional<WorkerProcess> process;  // empty: gone; reopened on next use
    pid_t pid = -1;
    std::uint64_t generation = 0;          // the zygote it was forked from
    std::string error;                     // the last failed call's message
};

}  // namespace tach
