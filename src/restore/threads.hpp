// Threads: in-place restore needs the worker to be single-threaded.
// Thread.join() (and pthread_join) return before the kernel has finished
// with the thread: glibc and the kernel still write to its memory (the
// CLONE_CHILD_CLEARTID futex, the stack cache).  The thread is gone only once
// /proc/self/task lists it no more, which wait_single_thread() waits for,
// briefly and bounded.  A thread still running at its deadline cannot be
// restored in place: replace the worker.
//
// Allocates nothing.
#pragma once

#include "restore/restore_error.hpp"

namespace tach::restore {

inline constexpr int kDefaultThreadsTimeoutMs = 200;

// Number of tasks (threads) of this process, -1 with errno on error.
int count_tasks();

// True once /proc/self/task has a single entry; false when timeout_ms
// passed first (or /proc cannot be read).  Polls with short sleeps that
// start at 10 µs and grow to 1 ms.
bool wait_single_thread(int timeout_ms);

// The same with an error for the restore sequence ("a thread is still running").
bool wait_single_thread(int timeout_ms, RestoreError *err);

}  // namespace tach::restore
