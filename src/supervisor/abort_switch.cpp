#include "supervisor/abort_switch.hpp"

#include <signal.h>

namespace tach {

void AbortSwitch::abort() {
    std::lock_guard<std::mutex> lock(mutex_);
    aborted_.store(true, std::memory_order_release);
    if (live_ > 0) {
        ::kill(-live_, SIGKILL);
        ::kill(live_, SIGKILL);
    }
}

void AbortSwitch::set_live(pid_t pid) {
    std::lock_guard<std::mutex> lock(mutex_);
    live_ = pid;
    if (aborted_.load(std::memory_order_acquire)) {
        ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
    }
}

}  // namespace tach
