#include "restore/process_state.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tach::restore {
namespace {

constexpr int kItimers[ProcessState::kNumItimers] = {ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF};

// Pulls "ID: <n>" lines out of /proc/<pid>/timers, fed in arbitrary chunks.
struct TimerIdParser {
    int column;     // characters seen on the current line
    bool matched;   // the line started with "ID: "
    bool digits;    // at least one digit after it
    long value;

    template <typename Fn>
    void feed(const char *p, long n, Fn &&emit) {
        static constexpr char kPrefix[] = "ID: ";
        for (long i = 0; i < n; ++i) {
            char c = p[i];
            if (c == '\n') {
                if (matched && digits) emit(static_cast<int>(value));
                column = 0;
                matched = digits = false;
                value = 0;
                continue;
            }
            if (column < 4) {
                if (c != kPrefix[column]) column = 5;  // not an ID line: ignore the rest
                else if (++column == 4) matched = true;
                continue;
            }
            if (matched) {
                if (c >= '0' && c <= '9' && value < 0x7fffffff) {
                    value = value * 10 + (c - '0');
                    digits = true;
                } else {
                    matched = false;
                }
            }
        }
    }
};

// Calls emit(id) for every timer listed by the (rewound) handle `fd`.
template <typename Fn>
bool for_each_timer(int fd, Fn &&emit) {
    if (lseek(fd, 0, SEEK_SET) < 0) return false;
    TimerIdParser parser{};
    char buf[1024];
    for (;;) {
        long n = read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (n == 0) return true;
        parser.feed(buf, n, emit);
    }
}

long timer_gettime_raw(int id, struct itimerspec *out) {
    return syscall(SYS_timer_gettime, id, out);
}
long timer_settime_raw(int id, const struct itimerspec *value) {
    return syscall(SYS_timer_settime, id, 0, value, nullptr);
}
long timer_delete_raw(int id) { return syscall(SYS_timer_delete, id); }

bool read_caps(struct __user_cap_data_struct *out) {
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    return syscall(SYS_capget, &hdr, out) == 0;
}

bool same_caps(const struct __user_cap_data_struct *a, const struct __user_cap_data_struct *b) {
    for (int i = 0; i < 2; ++i) {
        if (a[i].effective != b[i].effective || a[i].permitted != b[i].permitted ||
            a[i].inheritable != b[i].inheritable)
            return false;
    }
    return true;
}

// 20 - nice, as the raw syscall returns it (never negative, unlike glibc's).
long raw_priority() { return syscall(SYS_getpriority, PRIO_PROCESS, 0); }

bool same_rlimit(const struct rlimit &a, const struct rlimit &b) {
    return a.rlim_cur == b.rlim_cur && a.rlim_max == b.rlim_max;
}

}  // namespace

int list_posix_timers(int *ids, int capacity) {
    int fd = open("/proc/self/timers", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int n = 0;
    bool ok = for_each_timer(fd, [&](int id) {
        if (n < capacity) ids[n] = id;
        ++n;
    });
    int e = errno;
    close(fd);
    errno = e;
    return ok ? n : -1;
}

void ProcessState::release() {
    if (saved_) {
        close(cwd_fd_);
        if (timers_fd_ >= 0) close(timers_fd_);
    }
    saved_ = false;
    cwd_fd_ = timers_fd_ = -1;
}

bool ProcessState::save(RestoreError *err) {
    release();
    int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cwd < 0) return fail(err, "process_state: cannot open the working directory", errno);

    umask_ = umask(0);
    umask(umask_);

    const char *what = nullptr;
    int what_errno = 0;
    for (int r = 0; r < kNumRlimits && !what; ++r) {
        if (prlimit(0, static_cast<__rlimit_resource>(r), nullptr, &rlimits_[r]) != 0) {
            what = "process_state: prlimit (read) failed";
            what_errno = errno;
        }
    }
    for (int i = 0; i < kNumItimers && !what; ++i) {
        if (getitimer(static_cast<__itimer_which>(kItimers[i]), &itimers_[i]) != 0) {
            what = "process_state: getitimer failed";
            what_errno = errno;
        }
    }

    if (!what && !save_attributes(err)) {
        close(cwd);
        return false;
    }

    int timers = what ? -1 : open("/proc/self/timers", O_RDONLY | O_CLOEXEC);
    if (!what && timers < 0 && errno != ENOENT) {
        what = "process_state: cannot open /proc/self/timers";
        what_errno = errno;
    }
    timer_count_ = 0;
    if (!what && timers >= 0) {
        bool overflow = false;
        bool listed = for_each_timer(timers, [&](int id) {
            if (timer_count_ == kMaxTimers) {
                overflow = true;
                return;
            }
            timer_ids_[timer_count_++] = id;
        });
        if (!listed) {
            what = "process_state: cannot read /proc/self/timers";
            what_errno = errno;
        } else if (overflow) {
            what = "process_state: more POSIX timers than ProcessState::kMaxTimers";
        }
        for (int i = 0; i < timer_count_ && !what; ++i) {
            if (timer_gettime_raw(timer_ids_[i], &timer_specs_[i]) != 0) {
                what = "process_state: timer_gettime failed";
                what_errno = errno;
            }
        }
    }
    if (what) {
        close(cwd);
        if (timers >= 0) close(timers);
        return fail(err, what, what_errno);
    }

    cwd_fd_ = cwd;
    timers_fd_ = timers;
    pid_ = getpid();
    saved_ = true;
    return true;
}

bool ProcessState::restore(RestoreError *err) {
    if (!saved_) return fail(err, "process_state: restore without a snapshot", 0);
    if (getpid() != pid_)
        return fail(err, "process_state: snapshot saved in another process (save again after fork)", 0);

    // Credentials first: regaining root may be what lets the rest succeed.
    if (!restore_credentials(err)) return false;
    if (fchdir(cwd_fd_) != 0) return fail(err, "process_state: fchdir failed", errno);
    umask(umask_);

    for (int r = 0; r < kNumRlimits; ++r) {
        auto resource = static_cast<__rlimit_resource>(r);
        struct rlimit now;
        if (prlimit(0, resource, nullptr, &now) != 0)
            return fail(err, "process_state: prlimit (read) failed", errno);
        if (same_rlimit(now, rlimits_[r])) continue;
        if (prlimit(0, resource, &rlimits_[r], nullptr) != 0) {
            if (errno == EPERM)
                return fail(err, "process_state: a hard resource limit was lowered and cannot be raised back", EPERM);
            return fail(err, "process_state: prlimit (write) failed", errno);
        }
    }

    for (int i = 0; i < kNumItimers; ++i) {
        if (setitimer(static_cast<__itimer_which>(kItimers[i]), &itimers_[i], nullptr) != 0)
            return fail(err, "process_state: setitimer failed", errno);
    }

    return restore_timers(err) && restore_attributes(err);
}

bool ProcessState::restore_timers(RestoreError *err) {
    if (timers_fd_ < 0) return true;
    // Delete the timers the test created.  Collect first, delete after: the
    // listing walks the live timer table.  Repeat while a pass overflowed.
    for (int pass = 0;; ++pass) {
        if (pass == 64) return fail(err, "process_state: POSIX timers keep appearing", 0);
        int fresh[256];
        int n_fresh = 0;
        bool overflow = false;
        std::uint64_t seen = 0;
        bool listed = for_each_timer(timers_fd_, [&](int id) {
            for (int i = 0; i < timer_count_; ++i) {
                if (timer_ids_[i] == id) {
                    seen |= std::uint64_t{1} << i;
                    return;
                }
            }
            if (n_fresh < 256) fresh[n_fresh++] = id;
            else overflow = true;
        });
        if (!listed) return fail(err, "process_state: cannot read /proc/self/timers", errno);
        for (int i = 0; i < n_fresh; ++i) {
            if (timer_delete_raw(fresh[i]) != 0 && errno != EINVAL)
                return fail(err, "process_state: timer_delete failed", errno);
        }
        if (overflow) continue;
        std::uint64_t all = timer_count_ == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << timer_count_) - 1;
        if (seen != all) return fail(err, "process_state: the test deleted a POSIX timer of the snapshot", 0);
        break;
    }
    for (int i = 0; i < timer_count_; ++i) {
        if (timer_settime_raw(timer_ids_[i], &timer_specs_[i]) != 0)
            return fail(err, "process_state: timer_settime failed", errno);
    }
    return true;
}

bool ProcessState::save_attributes(RestoreError *err) {
    if (syscall(SYS_getresuid, &uids_[0], &uids_[1], &uids_[2]) != 0 ||
        syscall(SYS_getresgid, &gids_[0], &gids_[1], &gids_[2]) != 0)
        return fail(err, "process_state: getresuid/getresgid failed", errno);
    group_count_ = getgroups(kMaxGroups, groups_);
    if (group_count_ < 0)
        return fail(err, "process_state: more supplementary groups than ProcessState::kMaxGroups", errno);
    if (!read_caps(caps_)) return fail(err, "process_state: capget failed", errno);
    pgid_ = getpgid(0);
    sid_ = getsid(0);
    if (pgid_ < 0 || sid_ < 0) return fail(err, "process_state: getpgid/getsid failed", errno);
    no_new_privs_ = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
    seccomp_ = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);  // -1 without CONFIG_SECCOMP
    std::memset(comm_, 0, sizeof comm_);
    if (prctl(PR_GET_NAME, comm_, 0, 0, 0) != 0) return fail(err, "process_state: PR_GET_NAME failed", errno);
    priority_ = static_cast<int>(raw_priority());
    if (priority_ < 0) return fail(err, "process_state: getpriority failed", errno);
    CPU_ZERO(&affinity_);
    have_affinity_ = sched_getaffinity(0, sizeof affinity_, &affinity_) == 0;  // false beyond 1024 CPUs
    if (prctl(PR_GET_PDEATHSIG, &pdeathsig_, 0, 0, 0) != 0 ||
        prctl(PR_GET_CHILD_SUBREAPER, &subreaper_, 0, 0, 0) != 0)
        return fail(err, "process_state: prctl (read) failed", errno);
    dumpable_ = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    return true;
}

bool ProcessState::restore_credentials(RestoreError *err) {
    uid_t u[3];
    gid_t g[3];
    if (syscall(SYS_getresuid, &u[0], &u[1], &u[2]) != 0 ||
        syscall(SYS_getresgid, &g[0], &g[1], &g[2]) != 0)
        return fail(err, "process_state: getresuid/getresgid failed", errno);
    // Raw syscalls: glibc's wrappers would signal every thread (setxid);
    // restore runs with one thread, for which the raw call is the same.
    if ((u[0] != uids_[0] || u[1] != uids_[1] || u[2] != uids_[2]) &&
        syscall(SYS_setresuid, uids_[0], uids_[1], uids_[2]) != 0)
        return fail(err, "process_state: the test changed user ids and they cannot be set back", errno);
    if ((g[0] != gids_[0] || g[1] != gids_[1] || g[2] != gids_[2]) &&
        syscall(SYS_setresgid, gids_[0], gids_[1], gids_[2]) != 0)
        return fail(err, "process_state: the test changed group ids and they cannot be set back", errno);
    gid_t groups[kMaxGroups];
    int n = getgroups(kMaxGroups, groups);
    if (n != group_count_ || std::memcmp(groups, groups_, sizeof(gid_t) * static_cast<unsigned>(n > 0 ? n : 0)) != 0) {
        if (syscall(SYS_setgroups, group_count_, groups_) != 0)
            return fail(err, "process_state: the test changed supplementary groups and they cannot be set back", errno);
    }
    struct __user_cap_data_struct caps[2];
    if (!read_caps(caps)) return fail(err, "process_state: capget failed", errno);
    if (!same_caps(caps, caps_)) {
        struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
        if (syscall(SYS_capset, &hdr, caps_) != 0)
            return fail(err, "process_state: the test dropped capabilities that cannot be regained", errno);
    }
    return true;
}

bool ProcessState::restore_attributes(RestoreError *err) {
    if (getsid(0) != sid_) return fail(err, "process_state: the test started a new session (setsid)", 0);
    if (getpgid(0) != pgid_ && setpgid(0, pgid_) != 0)
        return fail(err, "process_state: the test changed the process group and it cannot be set back", errno);
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != no_new_privs_)
        return fail(err, "process_state: the test set no_new_privs (irreversible)", 0);
    if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != seccomp_)
        return fail(err, "process_state: the test installed a seccomp filter (irreversible)", 0);

    char comm[16] = {};
    if (prctl(PR_GET_NAME, comm, 0, 0, 0) != 0) return fail(err, "process_state: PR_GET_NAME failed", errno);
    if (std::memcmp(comm, comm_, sizeof comm) != 0 && prctl(PR_SET_NAME, comm_, 0, 0, 0) != 0)
        return fail(err, "process_state: PR_SET_NAME failed", errno);

    long priority = raw_priority();
    if (priority < 0) return fail(err, "process_state: getpriority failed", errno);
    if (priority != priority_ && setpriority(PRIO_PROCESS, 0, 20 - priority_) != 0)
        return fail(err, "process_state: the test raised the nice value and it cannot be lowered back", errno);

    if (have_affinity_) {
        cpu_set_t now;
        CPU_ZERO(&now);
        if (sched_getaffinity(0, sizeof now, &now) != 0)
            return fail(err, "process_state: sched_getaffinity failed", errno);
        if (!CPU_EQUAL(&now, &affinity_) && sched_setaffinity(0, sizeof affinity_, &affinity_) != 0)
            return fail(err, "process_state: the CPU affinity cannot be set back", errno);
    }

    int value = 0;
    if (prctl(PR_GET_PDEATHSIG, &value, 0, 0, 0) != 0) return fail(err, "process_state: PR_GET_PDEATHSIG failed", errno);
    if (value != pdeathsig_ && prctl(PR_SET_PDEATHSIG, pdeathsig_, 0, 0, 0) != 0)
        return fail(err, "process_state: PR_SET_PDEATHSIG failed", errno);
    if (prctl(PR_GET_CHILD_SUBREAPER, &value, 0, 0, 0) != 0)
        return fail(err, "process_state: PR_GET_CHILD_SUBREAPER failed", errno);
    if (value != subreaper_ && prctl(PR_SET_CHILD_SUBREAPER, subreaper_, 0, 0, 0) != 0)
        return fail(err, "process_state: PR_SET_CHILD_SUBREAPER failed", errno);
    if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != dumpable_ && prctl(PR_SET_DUMPABLE, dumpable_, 0, 0, 0) != 0)
        return fail(err, "process_state: the dumpable flag cannot be set back", errno);
    return true;
}

}  // namespace tach::restore
