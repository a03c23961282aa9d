#include "worker/lane.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <string>

#include "common/frame_io.hpp"
#include "common/protocol.hpp"
#include "common/unique_fd.hpp"
#include "restore/fd_list.hpp"
#include "tach.h"
#include "worker/context.hpp"
#include "worker/serve_loop.hpp"
#include "worker/snapshot_runner.hpp"

namespace tach::worker {
namespace {

struct FileId {
    dev_t dev = 0;
    ino_t ino = 0;
    bool known = false;
};

FileId file_id(int fd) {
    FileId id;
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0) {
        id.dev = st.st_dev;
        id.ino = st.st_ino;
        id.known = true;
    }
    return id;
}

// This process's open descriptors, listed before any is changed (the
// callers re-point fds: changing while listing could list a new one).
std::vector<int> open_fds() {
    std::vector<int> fds;
    UniqueFd dir(restore::open_fd_dir());
    if (dir)
        restore::for_each_listed_fd(dir.get(), [&](int fd) {
            fds.push_back(fd);
            return true;
        });
    return fds;
}

// The zygote's shared object and the lane's own replacement for it.
struct Replacement {
    FileId shared;
    int own = -1;
};

// Re-points every fd of this process that names one of the shared files
// to the lane's own.  Listing first, changing afterwards.
void replace_shared_fds(const Replacement *replacements, std::size_t n) {
    const std::vector<int> fds = open_fds();
    for (int fd : fds) {
        FileId id = file_id(fd);
        if (!id.known) continue;
        for (std::size_t i = 0; i < n; ++i) {
            const Replacement &r = replacements[i];
            if (r.own < 0 || fd == r.own || !r.shared.known) continue;
            if (id.dev == r.shared.dev && id.ino == r.shared.ino) {
                // dup2 clears FD_CLOEXEC; keep the flag the fd had.
                int flags = fcntl(fd, F_GETFD);
                dup2(r.own, fd);
                if (flags >= 0) fcntl(fd, F_SETFD, flags);
                break;
            }
        }
    }
}

// Gives this process descriptions of its own for the regular files it
// inherited open (except `keep`): an open file description, with its
// offset, is shared by every process forked from the zygote, so a test in
// one lane that reads or seeks a file the project opened at import would
// move the offset under a test running in another lane.  Reopening through
// /proc/self/fd works for deleted files too; a file that cannot be reopened
// stays shared (best effort).  flock() locks the zygote held are not carried
// over (they belong to its description).
void privatize_regular_files(const Replacement *keep, std::size_t nkeep) {
    const std::vector<int> fds = open_fds();
    for (int fd : fds) {
        struct stat st;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        bool kept = false;
        for (std::size_t i = 0; i < nkeep && !kept; ++i) {
            FileId own = file_id(keep[i].own);
            kept = own.known && own.dev == st.st_dev && own.ino == st.st_ino;
        }
        if (kept) continue;
        const int status_flags = fcntl(fd, F_GETFL);
        const int fd_flags = fcntl(fd, F_GETFD);
        if (status_flags < 0 || fd_flags < 0) continue;
        const off_t offset = lseek(fd, 0, SEEK_CUR);
        char path[64];
        std::snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        const int reopen_flags = status_flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_DSYNC | O_SYNC | O_NOATIME |
                                                 O_DIRECT | O_LARGEFILE);
        int fresh = open(path, reopen_flags | O_CLOEXEC | O_NOCTTY);
        if (fresh < 0) continue;
        if (offset >= 0) lseek(fresh, offset, SEEK_SET);
        if (dup3(fresh, fd, (fd_flags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) {
            ::close(fresh);
            continue;
        }
        ::close(fresh);
    }
}

std::pair<int, int> capture_fds(PyObject *runner) {
    std::pair<int, int> fds{-1, -1};
    PyObject *pair = PyObject_CallMethod(runner, "capture_fds", nullptr);
    if (pair && PyTuple_Check(pair) && PyTuple_GET_SIZE(pair) == 2) {
        fds.first = static_cast<int>(PyLong_AsLong(PyTuple_GET_ITEM(pair, 0)));
        fds.second = static_cast<int>(PyLong_AsLong(PyTuple_GET_ITEM(pair, 1)));
    }
    Py_XDECREF(pair);
    PyErr_Clear();
    return fds;
}

UniqueFd new_memfd(const char *name) { return UniqueFd(memfd_create(name, MFD_CLOEXEC)); }

std::string file_text(int fd) {
    std::string text;
    if (fd < 0) return text;
    char buf[65536];
    off_t offset = 0;
    for (;;) {
        ssize_t n = pread(fd, buf, sizeof buf, offset);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buf, static_cast<std::size_t>(n));
        offset += n;
        if (text.size() > (std::size_t{8} << 20)) break;
    }
    return text;
}

int send_with_fds(int host_fd, const std::string &frame, const int *fds, std::size_t nfds) {
    iovec iov{const_cast<char *>(frame.data()), frame.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    std::memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
    ssize_t sent;
    do {
        sent = sendmsg(host_fd, &msg, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) return -1;
    if (static_cast<std::size_t>(sent) < frame.size() &&
        write_all(host_fd, std::string_view(frame).substr(static_cast<std::size_t>(sent))) != 0)
        return -1;
    return 0;
}

}  // namespace

int open_lane(PyObject *runner, int host_fd, std::uint32_t isolation, std::vector<LaneWatch> *lanes) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return -1;
    UniqueFd host_end(sv[0]), lane_end(sv[1]);
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) return -1;
    UniqueFd stderr_read(pipe_fds[0]), stderr_write(pipe_fds[1]);
    UniqueFd traceback = new_memfd("tach-lane-traceback");
    auto [out_fd, err_fd] = capture_fds(runner);
    LaneWatch watch;
    if (out_fd >= 0) watch.stdout_capture = new_memfd("tach-lane-stdout");
    if (err_fd >= 0) watch.stderr_capture = new_memfd("tach-lane-stderr");
    if (!traceback) return -1;
    UniqueFd debug_host, debug_lane;
    if (context().debug_fd >= 0) {
        int dv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, dv) != 0) return -1;
        debug_host.reset(dv[0]);
        debug_lane.reset(dv[1]);
    }

    FileId stderr_id;
    stderr_id.dev = static_cast<dev_t>(context().stderr_dev);
    stderr_id.ino = static_cast<ino_t>(context().stderr_ino);
    stderr_id.known = context().stderr_ino != 0;
    const Replacement replacements[] = {
        {stderr_id, stderr_write.get()},
        {file_id(context().traceback_fd), traceback.get()},
        {file_id(out_fd), watch.stdout_capture.get()},
        {file_id(err_fd), watch.stderr_capture.get()},
    };

    PyOS_BeforeFork();
    pid_t pid = fork();
    if (pid == 0) {
        PyOS_AfterFork_Child();
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::close(host_fd);
        host_end.reset();
        stderr_read.reset();
        for (auto &other : *lanes) {
            if (other.pidfd >= 0) ::close(other.pidfd);
            other.stdout_capture.reset();
            other.stderr_capture.reset();
        }
        replace_shared_fds(replacements, sizeof replacements / sizeof replacements[0]);
        if (debug_lane) {
            // The debugger relay: a socket of the lane's own, which the
            // host relays while this lane runs a test.
            int flags = fcntl(context().debug_fd, F_GETFD);
            dup2(debug_lane.get(), context().debug_fd);
            if (flags >= 0) fcntl(context().debug_fd, F_SETFD, flags);
            debug_lane.reset();
            debug_host.reset();
        }
        // The lane's own capture files and traceback memfd are meant to be
        // shared (with the zygote, the host): everything else is made private.
        privatize_regular_files(replacements, sizeof replacements / sizeof replacements[0]);
        // Only the re-pointed fds are used from here on.
        stderr_write.reset();
        traceback.reset();
        watch.stdout_capture.reset();
        watch.stderr_capture.reset();
        const int fd = lane_end.release();
        context().socket_fd = fd;
        if (isolation == TACH_ISOLATION_SNAPSHOT) snapshot_runner_main(runner, fd);
        _exit(serve_lane(runner, fd, isolation) == 0 ? 0 : 2);
    }
    PyOS_AfterFork_Parent();
    if (pid < 0) return -1;
    lane_end.reset();
    stderr_write.reset();
    debug_lane.reset();
    watch.pid = pid;
    watch.pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    lanes->push_back(std::move(watch));
    std::string frame = protocol::encode(protocol::RunnerReady{static_cast<std::uint32_t>(pid)});
    const int fds[] = {host_end.get(), stderr_read.get(), traceback.get(), debug_host.get()};
    return send_with_fds(host_fd, frame, fds, debug_host ? 4 : 3);
}

int report_lane_exit(int host_fd, std::vector<LaneWatch> *lanes, std::size_t index) {
    LaneWatch &lane = (*lanes)[index];
    int status = 0;
    while (waitpid(lane.pid, &status, 0) < 0 && errno == EINTR) {
    }
    protocol::RunnerExited msg;
    msg.pid = static_cast<std::uint32_t>(lane.pid);
    msg.wait_status = status;
    msg.stdout_text = file_text(lane.stdout_capture.get());
    msg.stderr_text = file_text(lane.stderr_capture.get());
    if (lane.pidfd >= 0) ::close(lane.pidfd);
    lanes->erase(lanes->begin() + static_cast<std::ptrdiff_t>(index));
    return write_all(host_fd, protocol::encode(msg)) == 0 ? 0 : -1;
}

void stop_lanes(std::vector<LaneWatch> *lanes) {
    for (auto &lane : *lanes) kill(lane.pid, SIGKILL);
    for (auto &lane : *lanes) {
        while (waitpid(lane.pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        if (lane.pidfd >= 0) ::close(lane.pidfd);
    }
    lanes->clear();
}

}  // namespace tach::worker
