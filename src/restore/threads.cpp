#include "restore/threads.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

namespace tach::restore {
namespace {

long long now_ns() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

}  // namespace

int count_tasks() {
    int dir = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return -1;
    alignas(8) char buf[2048];
    int count = 0;
    for (;;) {
        long n = syscall(SYS_getdents64, dir, buf, sizeof buf);
        if (n < 0) {
            int e = errno;
            close(dir);
            errno = e;
            return -1;
        }
        if (n == 0) break;
        for (long at = 0; at < n;) {
            const auto *d = reinterpret_cast<const struct dirent64 *>(buf + at);
            at += d->d_reclen;
            if (d->d_name[0] >= '0' && d->d_name[0] <= '9') ++count;
        }
    }
    close(dir);
    return count;
}

bool wait_single_thread(int timeout_ms) {
    const long long deadline = now_ns() + static_cast<long long>(timeout_ms) * 1000000LL;
    long nap_ns = 10000;
    for (;;) {
        int n = count_tasks();
        if (n == 1) return true;
        if (n < 0 || now_ns() >= deadline) return false;
        struct timespec ts = {0, nap_ns};
        nanosleep(&ts, nullptr);
        if (nap_ns < 1000000) nap_ns *= 2;
    }
}

bool wait_single_thread(int timeout_ms, RestoreError *err) {
    if (wait_single_thread(timeout_ms)) return true;
    if (count_tasks() < 0) return fail(err, "threads: cannot list /proc/self/task", errno);
    return fail(err, "threads: a thread is still running", 0);
}

}  // namespace tach::restore
