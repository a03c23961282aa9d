#include "worker/fork_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/frame_io.hpp"
#include "common/monotonic_clock.hpp"
#include "common/protocol.hpp"
#include "common/unique_fd.hpp"
#include "worker/run_in_process.hpp"

namespace tach::worker {
namespace {

[[noreturn]] void child_main(PyObject *runner, const std::string &nodeid, int host_fd, int result_fd) {
    PyOS_AfterFork_Child();
    // The child must not outlive the zygote, nor ever talk to the host.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::close(host_fd);
    protocol::Result r = run_in_process(runner, nodeid, /*forked=*/true);
    int rc = write_all(result_fd, protocol::encode(r)) == 0 ? 0 : 120;
    std::fflush(nullptr);
    // Skip interpreter finalisation and atexit: the zygote owns those.
    _exit(rc);
}

// Reads everything the child sends until it closes the pipe or exits
// (a grandchild may keep the pipe open: the child's exit is what counts).
std::string collect_child_output(int result_fd, pid_t pid) {
    std::string data;
    UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
    char buf[65536];
    for (;;) {
        pollfd fds[2] = {{result_fd, POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
        int n = ::poll(fds, pidfd ? 2 : 1, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        bool child_gone = pidfd && (fds[1].revents & POLLIN);
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t got = ::read(result_fd, buf, sizeof buf);
            if (got > 0) {
                data.append(buf, static_cast<std::size_t>(got));
                continue;
            }
            if (got == 0) break;
            if (errno == EINTR) continue;
            break;
        }
        if (child_gone) {
            // Drain what is already in the pipe without blocking.
            for (;;) {
                pollfd p = {result_fd, POLLIN, 0};
                if (::poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN)) break;
                ssize_t got = ::read(result_fd, buf, sizeof buf);
                if (got <= 0) break;
                data.append(buf, static_cast<std::size_t>(got));
            }
            break;
        }
    }
    return data;
}

protocol::Result crashed_result(const std::string &nodeid, int wait_status, double duration) {
    protocol::Result r;
    r.nodeid = nodeid;
    r.outcome = protocol::Outcome::Crashed;
    r.phase = "call";
    r.duration = duration;
    char text[256];
    if (WIFSIGNALED(wait_status)) {
        r.signal = WTERMSIG(wait_status);
        std::snprintf(text, sizeof text, "test process was killed by signal %d (%s)", r.signal,
                      strsignal(r.signal));
    } else if (WIFEXITED(wait_status)) {
        r.exit_status = WEXITSTATUS(wait_status);
        std::snprintf(text, sizeof text, "test process exited with status %d before reporting a result",
                      r.exit_status);
    } else {
        std::snprintf(text, sizeof text, "test process ended abnormally (wait status 0x%x)", wait_status);
    }
    r.message = text;
    r.longrepr = text;
    return r;
}

}  // namespace

int run_forked(PyObject *runner, const std::string &nodeid, int host_fd) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) return -1;
    UniqueFd result_read(pipe_fds[0]), result_write(pipe_fds[1]);

    double start = monotonic_seconds();
    PyOS_BeforeFork();
    pid_t pid = fork();
    if (pid == 0) child_main(runner, nodeid, host_fd, result_write.get());
    PyOS_AfterFork_Parent();
    if (pid < 0) {
        protocol::Result r;
        r.nodeid = nodeid;
        r.outcome = protocol::Outcome::Error;
        r.message = r.longrepr = std::string("fork failed: ") + std::strerror(errno);
        return write_all(host_fd, protocol::encode(r)) == 0 ? 0 : -1;
    }
    result_write.reset();

    if (write_all(host_fd, protocol::encode(protocol::Started{static_cast<std::uint32_t>(pid)})) != 0) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        return -1;
    }

    std::string data;
    int wait_status = 0;
    Py_BEGIN_ALLOW_THREADS
    data = collect_child_output(result_read.get(), pid);
    while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
    }
    Py_END_ALLOW_THREADS
    double duration = monotonic_seconds() - start;

    FrameSplitter splitter;
    splitter.append(data);
    std::optional<std::string> payload = splitter.next();
    std::optional<protocol::Result> result;
    if (payload) result = protocol::decode_result(*payload);
    std::string frame;
    if (result && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) {
        frame = protocol::encode(*result);
    } else {
        protocol::Result crashed = crashed_result(nodeid, wait_status, duration);
        read_crash_output(runner, &crashed.stdout_text, &crashed.stderr_text);
        frame = protocol::encode(crashed);
    }
    return write_all(host_fd, frame) == 0 ? 0 : -1;
}

}  // namespace tach::worker
