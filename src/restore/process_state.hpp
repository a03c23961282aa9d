// Per-process kernel state that is neither fds, signals, children nor
// threads: the working directory, the umask, every resource limit, the three
// interval timers, the POSIX timers (timer_create), and the attributes a
// test can change with one call (credentials, session, name, nice, CPU
// affinity, a few prctl flags) -- each put back, or, when it cannot be,
// reported so the worker is replaced rather than silently different.
//
// Plain fixed-size struct for the engine's Arena (zero bytes == nothing
// saved).  restore() allocates nothing.  save() opens two engine fds (the
// working directory, O_PATH, and /proc/self/timers when the kernel has it):
// hand cwd_fd() and timers_fd() to FdTable as engine fds.  Like FdTable, a
// snapshot saved before fork() refuses to restore in the child.
//
// What restore() does:
//   cwd      fchdir to the directory open at save (the same inode even if it
//            was renamed; a directory the test deleted stays deleted).
//   umask    set back.
//   rlimits  every RLIMIT_* that differs is set back; a hard limit the test
//            lowered that cannot be raised again (no CAP_SYS_RESOURCE) is an
//            error.
//   itimers  ITIMER_REAL/VIRTUAL/PROF set to the values read at save
//            (normally disarmed; an armed one is re-armed with the time that
//            was left at save).
//   timers   POSIX timers the test created are deleted (timer_delete on the
//            kernel ids listed in /proc/self/timers; glibc keeps no state for
//            SIGEV_SIGNAL timers, and its SIGEV_THREAD bookkeeping lives in
//            memory the memory restore rolls back; the helper thread it starts
//            is caught by the threads check).  A snapshot timer the test
//            deleted is an error; a surviving one is re-armed as it was at
//            save.  Without /proc/self/timers (no CONFIG_CHECKPOINT_RESTORE)
//            timers are not checked: timers_checked() says so.
//   creds    real/effective/saved uid and gid, supplementary groups and
//            capabilities set back (raw syscalls, this thread: restore runs
//            single-threaded); what cannot be regained is an error.
//   session  a new session (setsid) is an error; a new process group in the
//            same session is undone with setpgid.
//   irreversible  no_new_privs set or a seccomp mode entered: error.
//   misc     the main thread's name (PR_SET_NAME, e.g. setproctitle), nice
//            value (an increase cannot be undone without CAP_SYS_NICE:
//            error), CPU affinity, parent-death signal, dumpable flag,
//            child-subreaper flag.
// Not covered: scheduling policy, personality, I/O priority, namespaces,
// SysV IPC, POSIX locks the test took on snapshot fds, files on disk.
#pragma once

#include <linux/capability.h>
#include <sched.h>

#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>

#include <cstdint>
#include <type_traits>

#include "restore/restore_error.hpp"

namespace tach::restore {

class ProcessState {
public:
    static constexpr int kMaxTimers = 64;        // POSIX timers alive at the snapshot
    static constexpr int kNumRlimits = RLIM_NLIMITS;
    static constexpr int kNumItimers = 3;        // ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF
    static constexpr int kMaxGroups = 256;       // supplementary groups at the snapshot

    bool save(RestoreError *err);
    bool restore(RestoreError *err);
    // Closes the cwd and timers fds; nothing is saved any more.
    void release();

    bool saved() const { return saved_; }
    int cwd_fd() const { return saved_ ? cwd_fd_ : -1; }
    int timers_fd() const { return saved_ ? timers_fd_ : -1; }
    bool timers_checked() const { return saved_ && timers_fd_ >= 0; }

    mode_t umask_value() const { return umask_; }
    const struct rlimit &rlimit_value(int resource) const { return rlimits_[resource]; }
    const struct itimerval &itimer_value(int which) const { return itimers_[which]; }
    int timer_count() const { return timer_count_; }
    const char *comm() const { return comm_; }

private:
    bool save_attributes(RestoreError *err);
    bool restore_credentials(RestoreError *err);
    bool restore_attributes(RestoreError *err);
    bool restore_timers(RestoreError *err);

    bool saved_;
    pid_t pid_;
    int cwd_fd_;
    int timers_fd_;
    mode_t umask_;
    int timer_count_;
    struct rlimit rlimits_[kNumRlimits];
    struct itimerval itimers_[kNumItimers];
    int timer_ids_[kMaxTimers];
    struct itimerspec timer_specs_[kMaxTimers];

    uid_t uids_[3];  // real, effective, saved
    gid_t gids_[3];
    int group_count_;
    gid_t groups_[kMaxGroups];
    struct __user_cap_data_struct caps_[2];
    pid_t pgid_;
    pid_t sid_;
    int no_new_privs_;
    int seccomp_;
    char comm_[16];
    int priority_;   // raw getpriority: 20 - nice
    bool have_affinity_;
    cpu_set_t affinity_;
    int pdeathsig_;
    int dumpable_;
    int subreaper_;
};

static_assert(std::is_trivially_default_constructible_v<ProcessState> &&
              std::is_standard_layout_v<ProcessState>);

// Kernel ids of this process's POSIX timers, read from /proc/self/timers
// into ids[0..capacity): the number found (which may exceed capacity), -1 on
// error (errno set; ENOENT without CONFIG_CHECKPOINT_RESTORE).  Allocates nothing.
int list_posix_timers(int *ids, int capacity);

}  // namespace tach::restore
