// The per-worker memory limit (tach_init_options.max_worker_memory):
// RLIMIT_AS, set by the worker on itself before Python starts, so the
// zygote and every process that runs a test inherit it.
//
// A snapshot runner reserves a large engine arena (MAP_NORESERVE address
// space, see snapshot_runner.cpp) that RLIMIT_AS counts although it costs
// no memory.  So the hard limit is the soft limit plus kRunnerHeadroom,
// and a runner raises its soft limit to the hard one before reserving the
// arena: its tests get the same room as a forked test's.
#pragma once

#include <cstdint>

namespace tach::worker {

// The snapshot runner's arena (16 GiB) plus 128 MiB for what the restore
// engine maps outside it.  A runner's tests thus get the limit plus at
// most that 128 MiB.
inline constexpr std::uint64_t kRunnerHeadroom = (std::uint64_t{16} << 30) + (std::uint64_t{128} << 20);

// Sets RLIMIT_AS to `bytes` (soft) / bytes + kRunnerHeadroom (hard).
// Returns false with errno set.
bool limit_memory(std::uint64_t bytes);

// In a snapshot runner: soft limit = hard limit, if a limit was set.
// Returns false with errno set.
bool widen_memory_limit_for_runner();

}  // namespace tach::worker
