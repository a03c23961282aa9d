#include "restore/fd_list.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>

namespace tach::restore {
namespace {

// "123" -> 123; -1 for ".", ".." or anything that is not a plain number.
int parse_fd(const char *name) {
    if (*name == '\0') return -1;
    long v = 0;
    for (const char *p = name; *p; ++p) {
        if (*p < '0' || *p > '9') return -1;
        v = v * 10 + (*p - '0');
        if (v > 0x7fffffff) return -1;
    }
    return static_cast<int>(v);
}

long getdents(int dir, char *buf, std::size_t size) {
    return syscall(SYS_getdents64, dir, buf, size);
}

}  // namespace

int open_fd_dir() {
    return open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

bool for_each_listed_fd(int dir, FdVisitor visit, void *context) {
    if (lseek(dir, 0, SEEK_SET) < 0) return false;
    alignas(8) char buf[4096];
    for (;;) {
        long n = getdents(dir, buf, sizeof buf);
        if (n < 0) return false;
        if (n == 0) return true;
        for (long at = 0; at < n;) {
            const auto *d = reinterpret_cast<const struct dirent64 *>(buf + at);
            at += d->d_reclen;
            int fd = parse_fd(d->d_name);
            if (fd >= 0 && fd != dir && !visit(fd, context)) return false;
        }
    }
}

}  // namespace tach::restore
