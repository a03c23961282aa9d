// Seconds on CLOCK_MONOTONIC, for deadlines and durations (host and worker;
// a vDSO call, safe on the restore path).
#pragma once

#include <time.h>

namespace tach {

inline double monotonic_seconds() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace tach
