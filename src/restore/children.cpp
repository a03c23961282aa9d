#include "restore/children.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

namespace tach::restore {
namespace {

constexpr int kBatch = 512;  // children handled per round

long now_ms() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void nap_us(long us) {
    struct timespec ts = {0, us * 1000L};
    nanosleep(&ts, nullptr);
}

// Appends "<prefix><n><suffix>" to buf (NUL-terminated); buf must be large enough.
void format_path(char *buf, const char *prefix, long n, const char *suffix) {
    char *p = buf;
    while (*prefix) *p++ = *prefix++;
    char digits[24];
    int len = 0;
    do {
        digits[len++] = static_cast<char>('0' + n % 10);
        n /= 10;
    } while (n > 0);
    while (len > 0) *p++ = digits[--len];
    while (*suffix) *p++ = *suffix++;
    *p = '\0';
}

// Parses the space-separated pids of one children file, calling emit(pid).
template <typename Fn>
bool read_children_file(const char *path, Fn &&emit) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char buf[1024];
    long value = 0;
    bool digits = false;
    for (;;) {
        long n = read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            errno = e;
            return false;
        }
        if (n == 0) break;
        for (long i = 0; i < n; ++i) {
            char c = buf[i];
            if (c >= '0' && c <= '9') {
                value = value * 10 + (c - '0');
                digits = true;
            } else {
                if (digits) emit(static_cast<pid_t>(value));
                value = 0;
                digits = false;
            }
        }
    }
    if (digits) emit(static_cast<pid_t>(value));
    close(fd);
    return true;
}

// Calls emit(pid) for the children of every task.  A task that exits while
// listed is skipped (its children move to another task or to us).
template <typename Fn>
bool for_each_child(Fn &&emit) {
    int dir = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return false;
    alignas(8) char buf[2048];
    bool ok = true;
    for (;;) {
        long n = syscall(SYS_getdents64, dir, buf, sizeof buf);
        if (n < 0) {
            ok = false;
            break;
        }
        if (n == 0) break;
        for (long at = 0; at < n;) {
            const auto *d = reinterpret_cast<const struct dirent64 *>(buf + at);
            at += d->d_reclen;
            long tid = 0;
            const char *s = d->d_name;
            if (*s < '0' || *s > '9') continue;
            for (; *s >= '0' && *s <= '9'; ++s) tid = tid * 10 + (*s - '0');
            char path[64];
            format_path(path, "/proc/self/task/", tid, "/children");
            if (!read_children_file(path, emit) && errno != ENOENT && errno != ESRCH) {
                ok = false;
                break;
            }
        }
        if (!ok) break;
    }
    int e = errno;
    close(dir);
    errno = e;
    // A kernel without CONFIG_PROC_CHILDREN: every children file is ENOENT
    // and nothing was emitted; the caller cross-checks with waitpid.
    return ok;
}

bool kept(pid_t pid, const pid_t *keep, std::size_t nkeep) {
    for (std::size_t i = 0; i < nkeep; ++i)
        if (keep[i] == pid) return true;
    return false;
}

bool have_children_file() {
    char path[64];
    format_path(path, "/proc/self/task/", static_cast<long>(gettid()), "/children");
    return access(path, R_OK) == 0;
}

}  // namespace

bool set_child_subreaper(RestoreError *err) {
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        return fail(err, "children: PR_SET_CHILD_SUBREAPER failed", errno);
    return true;
}

int list_children(pid_t *pids, int capacity) {
    int n = 0;
    bool ok = for_each_child([&](pid_t pid) {
        if (n < capacity) pids[n] = pid;
        ++n;
    });
    return ok ? n : -1;
}

bool kill_and_reap_children(RestoreError *err) {
    return kill_and_reap_children(nullptr, 0, kDefaultChildrenTimeoutMs, err);
}

bool kill_and_reap_children(const pid_t *keep, std::size_t nkeep, int timeout_ms,
                            RestoreError *err) {
    const long deadline = now_ms() + timeout_ms;
    long nap = 20;  // µs, doubled up to 1 ms while children take time to die
    auto wait_a_little = [&]() {
        if (now_ms() >= deadline) return false;
        nap_us(nap);
        if (nap < 1000) nap *= 2;
        return true;
    };
    // Fast path, one syscall: no children at all (zombies reaped on the way).
    if (nkeep == 0) {
        pid_t r;
        do {
            int status;
            r = waitpid(-1, &status, WNOHANG | __WALL);
        } while (r > 0 || (r < 0 && errno == EINTR));
        if (r < 0 && errno == ECHILD) return true;
        if (r < 0) return fail(err, "children: waitpid failed", errno);
    }
    for (;;) {
        pid_t pids[kBatch];
        int n = 0;
        bool listed = for_each_child([&](pid_t pid) {
            if (n < kBatch && !kept(pid, keep, nkeep)) pids[n++] = pid;
        });
        if (!listed) return fail(err, "children: cannot list /proc/self/task/*/children", errno);
        if (n > 0) {
            // Zombies are listed too; SIGKILL to a zombie is harmless and
            // its pid cannot be reused before we reap it.
            for (int i = 0; i < n; ++i) kill(pids[i], SIGKILL);
            int left = 0;
            for (int i = 0; i < n; ++i) {
                int status;
                pid_t r;
                do {
                    r = waitpid(pids[i], &status, WNOHANG | __WALL);
                } while (r < 0 && errno == EINTR);
                if (r == 0) ++left;  // still dying
            }
            if (left > 0 && !wait_a_little())
                return fail(err, "children: a child did not die in time", 0);
            continue;  // next round: the rest, or re-parented grandchildren
        }

        // Nothing listed.  Cross-check with waitpid, which also reaps what
        // could not be listed (the only means without CONFIG_PROC_CHILDREN).
        // Kept children must not be reaped, so skip this when there are any.
        if (nkeep > 0) return true;
        pid_t r;
        do {
            int status;
            r = waitpid(-1, &status, WNOHANG | __WALL);
        } while (r > 0 || (r < 0 && errno == EINTR));
        if (r < 0 && errno == ECHILD) return true;
        if (r < 0) return fail(err, "children: waitpid failed", errno);
        // r == 0: a live child that was not listed.
        if (!have_children_file())
            return fail(err, "children: children left but /proc/self/task/*/children is missing", 0);
        if (!wait_a_little()) return fail(err, "children: a child could not be listed in time", 0);
    }
}

}  // namespace tach::restore
