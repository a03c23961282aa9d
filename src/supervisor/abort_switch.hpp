// Lets tach_shutdown, called from another thread while a call on the
// engine is in flight, stop that call: it kills the worker process group
// that is alive at that moment, and no new worker starts afterwards.
//
// The worker's pid is registered while it may be signalled: cleared under
// the same lock that its reaping holds, so a pid is never signalled after
// it was reaped (and could have been reused).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <mutex>

namespace tach {

class AbortSwitch {
public:
    // Thread-safe.  Kills the live worker group, if any; from then on
    // aborted() is true.
    void abort();
    bool aborted() const { return aborted_.load(std::memory_order_acquire); }

    // The engine's thread: a worker group started / about to be reaped.
    // set_live kills at once if abort() came first.
    void set_live(pid_t pid);
    std::mutex &mutex() { return mutex_; }
    void clear_live_locked() { live_ = -1; }

private:
    std::mutex mutex_;
    pid_t live_ = -1;
    std::atomic<bool> aborted_{false};
};

}  // namespace tach
