#include "worker/memory_limit.hpp"

#include <sys/resource.h>

#include <cerrno>

namespace tach::worker {

bool limit_memory(std::uint64_t bytes) {
    rlimit lim{};
    if (getrlimit(RLIMIT_AS, &lim) != 0) return false;
    rlim_t hard = bytes > RLIM_INFINITY - kRunnerHeadroom ? RLIM_INFINITY : bytes + kRunnerHeadroom;
    // An existing, lower hard limit (set by whoever started the host) wins.
    if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < hard) hard = lim.rlim_max;
    rlim_t soft = bytes < hard ? bytes : hard;
    rlimit want{soft, hard};
    return setrlimit(RLIMIT_AS, &want) == 0;
}

bool widen_memory_limit_for_runner() {
    rlimit lim{};
    if (getrlimit(RLIMIT_AS, &lim) != 0) return false;
    if (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur == lim.rlim_max) return true;
    lim.rlim_cur = lim.rlim_max;
    return setrlimit(RLIMIT_AS, &lim) == 0;
}

}  // namespace tach::worker
