// Signal state of the process and of the calling thread: every signal's
// disposition (1..64 except SIGKILL and SIGSTOP, read and written with the
// raw rt_sigaction syscall so glibc's internal 32/33 are included and the
// kernel's struct, SA_RESTORER and all, round-trips exactly), the calling
// thread's signal mask and alternate signal stack, and the set of signals
// pending at the snapshot.
//
// Plain fixed-size struct for the engine's Arena (zero bytes == nothing
// saved).  restore() allocates nothing.  The mask and the alternate stack
// are per thread: save() and restore() must run on the same thread (the
// worker's main thread).
//
// Signals the test left pending (blocked, or raised while restore runs with
// everything blocked) that were not pending at the snapshot are discarded:
// in a fresh process they would have died with the test.  A signal pending
// at the snapshot and pending again is kept as one (real-time signals queued
// more than once by the test are not told apart from the snapshot's one); a
// signal pending at the snapshot that the test consumed is raised again
// (tgkill: same number, but its siginfo says SI_TKILL from this process).
#pragma once

#include <signal.h>

#include <cstdint>
#include <type_traits>

#include "restore/restore_error.hpp"

namespace tach::restore {

// The kernel's struct sigaction for rt_sigaction(2) (not glibc's).
struct KernelSigaction {
    void *handler;            // SIG_DFL, SIG_IGN or the handler
    unsigned long flags;      // SA_*
    void *restorer;           // sa_restorer (glibc sets SA_RESTORER on x86-64)
    std::uint64_t mask;       // bit (sig - 1) set when sig is blocked in the handler
};

class SignalState {
public:
    static constexpr int kMaxSignal = 64;

    bool save(RestoreError *err);

    // begin() + finish().
    bool restore(RestoreError *err);

    // Phase 1, meant to open the restore sequence: blocks every signal in
    // the calling thread (so no handler runs, and writes to restored memory,
    // while the rest of the process is put back) and puts every disposition
    // back (so a test's SIGCHLD SIG_IGN / SA_NOCLDWAIT cannot auto-reap the
    // children the children unit is about to kill).
    bool begin(RestoreError *err);

    // Phase 2, meant to close the sequence: discards signals pending now
    // that were not pending at the snapshot, re-raises snapshot-pending ones
    // the test consumed, restores the alternate signal stack, then the
    // snapshot mask (last, so nothing is delivered before).
    bool finish(RestoreError *err);

    // Blocks every blockable signal in the calling thread.
    static bool block_all(RestoreError *err);

    bool saved() const { return saved_; }
    // The disposition saved for `sig`, or nullptr for SIGKILL, SIGSTOP or out of range.
    const KernelSigaction *action(int sig) const;
    std::uint64_t mask() const { return mask_; }
    std::uint64_t pending() const { return pending_; }
    const stack_t &altstack() const { return altstack_; }

private:
    bool saved_;
    std::uint64_t mask_;
    std::uint64_t pending_;
    stack_t altstack_;
    KernelSigaction actions_[kMaxSignal + 1];  // index = signal number
};

static_assert(std::is_trivially_default_constructible_v<SignalState> &&
              std::is_standard_layout_v<SignalState>);

// Raw kernel views, for tests and diagnostics: rt_sigaction(sig, nullptr,
// out), the calling thread's mask and its pending set (blocked signals only,
// as the kernel reports them).  Return false with errno set on failure.
bool read_kernel_sigaction(int sig, KernelSigaction *out);
bool read_signal_mask(std::uint64_t *out);
bool read_pending_signals(std::uint64_t *out);

}  // namespace tach::restore
