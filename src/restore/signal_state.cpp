#include "restore/signal_state.hpp"

#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

namespace tach::restore {
namespace {

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "KernelSigaction matches x86-64 and arm64 only; add this architecture's layout"
#endif
static_assert(sizeof(KernelSigaction) == 32);

constexpr unsigned long kSigsetSize = sizeof(std::uint64_t);  // the kernel's sigset_t
constexpr std::uint64_t kAllSignals = ~std::uint64_t{0};

constexpr bool settable(int sig) { return sig != SIGKILL && sig != SIGSTOP; }

long rt_sigaction(int sig, const KernelSigaction *act, KernelSigaction *old) {
    return syscall(SYS_rt_sigaction, sig, act, old, kSigsetSize);
}

long rt_sigprocmask(int how, const std::uint64_t *set, std::uint64_t *old) {
    return syscall(SYS_rt_sigprocmask, how, set, old, kSigsetSize);
}

// Dequeues one pending signal of `set` without waiting: the signal number,
// or -1 with errno EAGAIN when none is pending.
long take_pending(const std::uint64_t *set) {
    struct timespec zero = {0, 0};
    return syscall(SYS_rt_sigtimedwait, set, nullptr, &zero, kSigsetSize);
}

}  // namespace

bool read_kernel_sigaction(int sig, KernelSigaction *out) {
    return rt_sigaction(sig, nullptr, out) == 0;
}

bool read_signal_mask(std::uint64_t *out) { return rt_sigprocmask(SIG_BLOCK, nullptr, out) == 0; }

bool read_pending_signals(std::uint64_t *out) {
    return syscall(SYS_rt_sigpending, out, kSigsetSize) == 0;
}

const KernelSigaction *SignalState::action(int sig) const {
    if (sig < 1 || sig > kMaxSignal || !settable(sig)) return nullptr;
    return &actions_[sig];
}

bool SignalState::save(RestoreError *err) {
    saved_ = false;
    for (int sig = 1; sig <= kMaxSignal; ++sig) {
        actions_[sig] = KernelSigaction{};
        if (settable(sig) && rt_sigaction(sig, nullptr, &actions_[sig]) != 0)
            return fail(err, "signal_state: rt_sigaction (read) failed", errno);
    }
    if (rt_sigprocmask(SIG_BLOCK, nullptr, &mask_) != 0)
        return fail(err, "signal_state: rt_sigprocmask (read) failed", errno);
    if (!read_pending_signals(&pending_))
        return fail(err, "signal_state: rt_sigpending failed", errno);
    if (sigaltstack(nullptr, &altstack_) != 0)
        return fail(err, "signal_state: sigaltstack (read) failed", errno);
    saved_ = true;
    return true;
}

bool SignalState::block_all(RestoreError *err) {
    if (rt_sigprocmask(SIG_SETMASK, &kAllSignals, nullptr) != 0)
        return fail(err, "signal_state: cannot block signals", errno);
    return true;
}

bool SignalState::begin(RestoreError *err) {
    if (!saved_) return fail(err, "signal_state: restore without a snapshot", 0);
    if (!block_all(err)) return false;
    for (int sig = 1; sig <= kMaxSignal; ++sig) {
        if (settable(sig) && rt_sigaction(sig, &actions_[sig], nullptr) != 0)
            return fail(err, "signal_state: rt_sigaction (write) failed", errno);
    }
    return true;
}

bool SignalState::finish(RestoreError *err) {
    if (!saved_) return fail(err, "signal_state: restore without a snapshot", 0);
    // With every signal blocked the pending set is complete.
    if (!block_all(err)) return false;
    std::uint64_t now = 0;
    if (!read_pending_signals(&now)) return fail(err, "signal_state: rt_sigpending failed", errno);
    std::uint64_t stale = now & ~pending_;
    if (stale) {
        // Bounded: real-time signals queue up to RLIMIT_SIGPENDING deep.
        for (int taken = 0;; ++taken) {
            if (taken == (1 << 20)) return fail(err, "signal_state: pending signals never drain", 0);
            if (take_pending(&stale) > 0) continue;
            if (errno == EAGAIN) break;
            if (errno != EINTR) return fail(err, "signal_state: rt_sigtimedwait failed", errno);
        }
    }
    // Signals pending at the snapshot that the test let through (unblocked
    // and handled): pending again, as each test would find them.
    std::uint64_t missing = pending_ & ~now;
    if (missing) {
        pid_t pid = getpid();
        pid_t tid = gettid();
        for (int sig = 1; sig <= kMaxSignal; ++sig) {
            if ((missing & (std::uint64_t{1} << (sig - 1))) &&
                syscall(SYS_tgkill, pid, tid, sig) != 0)
                return fail(err, "signal_state: cannot re-raise a signal pending at the snapshot", errno);
        }
    }
    if (sigaltstack(&altstack_, nullptr) != 0)
        return fail(err, "signal_state: sigaltstack (write) failed", errno);
    if (rt_sigprocmask(SIG_SETMASK, &mask_, nullptr) != 0)
        return fail(err, "signal_state: rt_sigprocmask (write) failed", errno);
    return true;
}

bool SignalState::restore(RestoreError *err) { return begin(err) && finish(err); }

}  // namespace tach::restore
