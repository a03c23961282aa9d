#include "restore/fd_table.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "restore/fd_list.hpp"
#include "restore/linux_abi.hpp"

namespace tach::restore {
namespace {

// File status flags F_SETFL can change; the rest of F_GETFL (access mode,
// O_LARGEFILE, creation flags) is fixed for the description's lifetime.
constexpr int kSettableStatus = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;

long kcmp_file(pid_t pid, int a, int b) {
    return syscall(SYS_kcmp, pid, pid, linux_abi::kKcmpFile, a, b);
}

}  // namespace

const FdEntry *FdTable::find_fd(int fd) const {
    std::size_t lo = 0, hi = count_;
    while (lo < hi) {
        std::size_t mid = lo + (hi - lo) / 2;
        if (entries_[mid].fd == fd) return &entries_[mid];
        if (entries_[mid].fd < fd) lo = mid + 1;
        else hi = mid;
    }
    return nullptr;
}

bool FdTable::is_dup(int fd) const {
    // save() hands out duplicates in ascending order, so entries_ is sorted by dup too.
    std::size_t lo = 0, hi = count_;
    while (lo < hi) {
        std::size_t mid = lo + (hi - lo) / 2;
        if (entries_[mid].dup == fd) return true;
        if (entries_[mid].dup < fd) lo = mid + 1;
        else hi = mid;
    }
    return false;
}

bool FdTable::is_engine(int fd) const {
    for (std::size_t i = 0; i < engine_count_; ++i)
        if (engine_[i] == fd) return true;
    return false;
}

bool FdTable::engine_fd(int fd) {
    if (fd < 0) return false;
    if (is_engine(fd)) return true;
    if (engine_count_ == kMaxEngineFds) return false;
    engine_[engine_count_++] = fd;
    return true;
}

bool FdTable::set_restore_offset(int fd, bool on) {
    auto *e = const_cast<FdEntry *>(find_fd(fd));
    if (!e || e->offset < 0) return false;
    e->restore_offset = on;
    return true;
}

void FdTable::release() {
    if (saved_) {
        for (std::size_t i = 0; i < count_; ++i) close(entries_[i].dup);
        close(dir_fd_);
    }
    saved_ = false;
    count_ = 0;
    dir_fd_ = -1;
}

bool FdTable::save(const int *engine_fds, std::size_t n, RestoreError *err) {
    release();
    engine_count_ = 0;
    if (n > kMaxEngineFds) return fail(err, "fd_table: too many engine fds", 0);
    for (std::size_t i = 0; i < n; ++i) engine_fd(engine_fds[i]);

    int dir = open_fd_dir();
    if (dir < 0) return fail(err, "fd_table: cannot open /proc/self/fd", errno);

    // 1. List first, duplicate afterwards: the duplicates must not be listed.
    bool overflow = false;
    std::size_t count = 0;
    bool listed = for_each_listed_fd(dir, [&](int fd) {
        if (is_engine(fd)) return true;
        if (count == kMaxFds) {
            overflow = true;
            return false;
        }
        // /proc lists fds in ascending order; insert in place all the same.
        std::size_t at = count;
        while (at > 0 && entries_[at - 1].fd > fd) {
            entries_[at] = entries_[at - 1];
            --at;
        }
        entries_[at] = FdEntry{};
        entries_[at].fd = fd;
        ++count;
        return true;
    });
    if (overflow) {
        close(dir);
        return fail(err, "fd_table: more open fds than FdTable::kMaxFds", 0);
    }
    if (!listed) {
        int e = errno;
        close(dir);
        return fail(err, "fd_table: cannot list /proc/self/fd", e);
    }

    // 2. Record each fd and park a duplicate of its description up high.
    int next = kDupFloor;
    for (std::size_t i = 0; i < count; ++i) {
        FdEntry &e = entries_[i];
        const char *what = nullptr;
        e.fd_flags = fcntl(e.fd, F_GETFD);
        e.status_flags = fcntl(e.fd, F_GETFL);
        if (e.fd_flags < 0 || e.status_flags < 0) what = "fd_table: an fd closed while saving";
        e.offset = what ? -1 : lseek(e.fd, 0, SEEK_CUR);
        if (e.offset < 0) e.offset = -1;
        e.restore_offset = e.offset >= 0 && e.fd > 2;
        e.dup = what ? -1 : fcntl(e.fd, F_DUPFD_CLOEXEC, next);
        if (!what && e.dup < 0) what = "fd_table: cannot duplicate an fd (RLIMIT_NOFILE?)";
        struct stat st;
        if (!what && fstat(e.dup, &st) < 0) what = "fd_table: fstat failed";
        if (what) {
            int saved_errno = errno;
            for (std::size_t j = 0; j < i; ++j) close(entries_[j].dup);
            if (e.dup >= 0) close(e.dup);
            close(dir);
            return fail(err, what, saved_errno);
        }
        e.dup_dev = st.st_dev;
        e.dup_ino = st.st_ino;
        next = e.dup + 1;
    }

    dir_fd_ = dir;
    count_ = count;
    pid_ = getpid();
    saved_ = true;
    return true;
}

bool FdTable::restore(RestoreError *err) {
    if (!saved_) return fail(err, "fd_table: restore without a snapshot", 0);
    if (getpid() != pid_)
        return fail(err, "fd_table: snapshot saved in another process (save again after fork)", 0);

    // 1. Close every fd the snapshot does not know.  Closing an entry just
    //    listed does not disturb the listing (procfs walks by fd number).
    //    (A walk costs per open fd; close_range over the gaps between kept
    //    fds would cost per fd *slot*, up to the table size, which a test
    //    opening many fds grows for good.)
    bool listed = for_each_listed_fd(dir_fd_, [&](int fd) {
        if (is_engine(fd) || find_fd(fd) || is_dup(fd)) return true;
        close(fd);
        return true;
    });
    if (!listed) return fail(err, "fd_table: cannot list /proc/self/fd", errno);

    // 2. Put every snapshot fd back on its description, flags and offset.
    for (std::size_t i = 0; i < count_; ++i) {
        const FdEntry &e = entries_[i];
        bool replaced = false;
        long same = kcmp_file(pid_, e.fd, e.dup);
        if (same != 0) {
            // Closed (EBADF), another description (1, 2, 3), or no kcmp at
            // all (ENOSYS, or EPERM under a seccomp filter): point the fd at
            // the saved duplicate, once the duplicate is known to be intact.
            if (same < 0 && errno != EBADF && errno != ENOSYS && errno != EPERM)
                return fail(err, "fd_table: kcmp failed", errno);
            struct stat st;
            int dup_flags = fcntl(e.dup, F_GETFD);
            if (dup_flags < 0 || !(dup_flags & FD_CLOEXEC) || fstat(e.dup, &st) < 0 ||
                st.st_dev != e.dup_dev || st.st_ino != e.dup_ino)
                return fail(err, "fd_table: a saved duplicate was closed or replaced by the test", 0);
            if (dup3(e.dup, e.fd, (e.fd_flags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0)
                return fail(err, "fd_table: dup3 failed", errno);
            replaced = true;
        }
        if (!replaced) {
            int fd_flags = fcntl(e.fd, F_GETFD);
            if (fd_flags < 0) return fail(err, "fd_table: F_GETFD failed", errno);
            if (((fd_flags ^ e.fd_flags) & FD_CLOEXEC) && fcntl(e.fd, F_SETFD, e.fd_flags) < 0)
                return fail(err, "fd_table: F_SETFD failed", errno);
        }
        // Status flags belong to the description, which the test may have
        // changed through any fd naming it: check even when re-pointed.
        int status = fcntl(e.fd, F_GETFL);
        if (status < 0) return fail(err, "fd_table: F_GETFL failed", errno);
        if (((status ^ e.status_flags) & kSettableStatus) &&
            fcntl(e.fd, F_SETFL, e.status_flags) < 0)
            return fail(err, "fd_table: F_SETFL failed", errno);
        if (e.restore_offset && lseek(e.fd, e.offset, SEEK_SET) != e.offset)
            return fail(err, "fd_table: lseek failed", errno);
    }
    return true;
}

int count_open_fds() {
    int dir = open_fd_dir();
    if (dir < 0) return -1;
    int n = 0;
    bool ok = for_each_listed_fd(dir, [&](int) {
        ++n;
        return true;
    });
    close(dir);
    return ok ? n : -1;
}

}  // namespace tach::restore
