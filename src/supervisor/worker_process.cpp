#include "supervisor/worker_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "supervisor/spawner.hpp"

namespace tach {
namespace {

// Only the newest output matters for a crash report; keep memory bounded.
constexpr std::size_t kMaxStderr = 1 << 20;

constexpr int kChildSocketFd = 3;
constexpr int kChildTracebackFd = 4;
constexpr int kChildDebugFd = 5;

// Writes all of `data` to `fd` (a terminal or pipe), waiting when it is
// non-blocking and full.  False when it cannot be written.
bool write_fully(int fd, const char *data, std::size_t size) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n > 0) {
            data += n;
            size -= static_cast<std::size_t>(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            pollfd p{fd, POLLOUT, 0};
            ::poll(&p, 1, 1000);
        } else {
            return false;
        }
    }
    return true;
}

}  // namespace

int WorkerProcess::start(const std::string &worker_path, std::optional<WorkerProcess> *out,
                         std::string *error, const WorkerExtras &extras) {
    if (access(worker_path.c_str(), X_OK) != 0) {
        int err = errno;
        *error = "worker executable " + worker_path + " is not usable: " + std::strerror(err);
        return err;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        int err = errno;
        *error = std::string("socketpair: ") + std::strerror(err);
        return err;
    }
    UniqueFd host_end(sv[0]), worker_end(sv[1]);
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
        int err = errno;
        *error = std::string("pipe: ") + std::strerror(err);
        return err;
    }
    UniqueFd err_read(pipe_fds[0]), err_write(pipe_fds[1]);
    UniqueFd traceback(memfd_create("tach-traceback", MFD_CLOEXEC));
    if (!traceback) {
        int err = errno;
        *error = std::string("memfd_create: ") + std::strerror(err);
        return err;
    }

    UniqueFd debug_host, debug_worker;
    if (extras.debugger) {
        int dv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, dv) != 0) {
            int err = errno;
            *error = std::string("socketpair (debugger): ") + std::strerror(err);
            return err;
        }
        debug_host.reset(dv[0]);
        debug_worker.reset(dv[1]);
    }

    SpawnRequest req;
    req.path = worker_path;
    req.argv = {worker_path, "--socket-fd", std::to_string(kChildSocketFd), "--traceback-fd",
                std::to_string(kChildTracebackFd), "--host-pid", std::to_string(getpid())};
    if (extras.max_memory != 0) {
        req.argv.push_back("--max-memory");
        req.argv.push_back(std::to_string(extras.max_memory));
    }
    req.fds = {{worker_end.get(), kChildSocketFd}, {traceback.get(), kChildTracebackFd}};
    req.stderr_fd = err_write.get();
    // Every symbol bound at load time, in every library and extension the
    // worker ever loads: lazy PLT binding would otherwise write GOT slots
    // during tests, which restore rolls back and verification reports.
    // The worker drops the variable again before Python starts.
    if (!std::getenv("LD_BIND_NOW")) req.extra_env = {"LD_BIND_NOW=1", "TACH_WORKER_UNSET_LD_BIND_NOW=1"};
    if (extras.sandbox) req.argv.insert(req.argv.end(), {"--sandbox", "1"});
    if (debug_worker) {
        req.fds.emplace_back(debug_worker.get(), kChildDebugFd);
        req.extra_env.push_back("TACH_DEBUG_FD=" + std::to_string(kChildDebugFd));
    }
    pid_t pid = -1;
    if (int rc = spawn_process(req, &pid)) {
        *error = "cannot start worker " + worker_path + ": " + std::strerror(rc);
        return rc;
    }
    fcntl(err_read.get(), F_SETFL, fcntl(err_read.get(), F_GETFL) | O_NONBLOCK);

    WorkerProcess w(std::move(host_end));
    w.pid_ = pid;
    w.abort_ = extras.abort;
    if (extras.abort) extras.abort->set_live(pid);
    w.stderr_ = std::move(err_read);
    w.traceback_ = std::move(traceback);
    if (debug_host) {
        fcntl(debug_host.get(), F_SETFL, fcntl(debug_host.get(), F_GETFL) | O_NONBLOCK);
        w.debug_ = std::move(debug_host);
    }
    out->emplace(std::move(w));
    return 0;
}

WorkerProcess WorkerProcess::adopt_lane(pid_t pid, UniqueFd socket, UniqueFd stderr_read, UniqueFd traceback,
                                        UniqueFd debug) {
    WorkerProcess w(std::move(socket));
    w.pid_ = pid;
    w.lane_ = true;
    w.pidfd_ = UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
    fcntl(stderr_read.get(), F_SETFL, fcntl(stderr_read.get(), F_GETFL) | O_NONBLOCK);
    w.stderr_ = std::move(stderr_read);
    w.traceback_ = std::move(traceback);
    if (debug) {
        fcntl(debug.get(), F_SETFL, fcntl(debug.get(), F_GETFL) | O_NONBLOCK);
        w.debug_ = std::move(debug);
    }
    return w;
}

WorkerProcess::WorkerProcess(WorkerProcess &&o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      lane_(o.lane_),
      pidfd_(std::move(o.pidfd_)),
      abort_(std::exchange(o.abort_, nullptr)),
      reaped_(o.reaped_),
      wait_status_(o.wait_status_),
      control_(std::move(o.control_)),
      stderr_(std::move(o.stderr_)),
      traceback_(std::move(o.traceback_)),
      debug_(std::move(o.debug_)),
      debug_active_(o.debug_active_),
      stdin_done_(o.stdin_done_),
      stderr_text_(std::move(o.stderr_text_)) {}

WorkerProcess::~WorkerProcess() {
    if (pid_ > 0) kill_and_reap();
}

void WorkerProcess::drain_stderr() {
    if (!stderr_) return;
    char buf[16384];
    for (;;) {
        ssize_t n = ::read(stderr_.get(), buf, sizeof buf);
        if (n > 0) {
            stderr_text_.append(buf, static_cast<std::size_t>(n));
            if (stderr_text_.size() > kMaxStderr)
                stderr_text_.erase(0, stderr_text_.size() - kMaxStderr);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) stderr_.reset();  // every writer is gone
        return;
    }
}

void WorkerProcess::relay_debug_output() {
    char buf[16384];
    for (;;) {
        ssize_t n = ::read(debug_.get(), buf, sizeof buf);
        if (n > 0) {
            // What the host printed itself (its progress line) first.
            std::fflush(stdout);
            write_fully(STDOUT_FILENO, buf, static_cast<std::size_t>(n));
            debug_active_ = true;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) debug_.reset();  // every worker process is gone
        return;
    }
}

void WorkerProcess::relay_debug_input() {
    char buf[4096];
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        // No more input: the debugger reads EOF (pdb quits) from now on.
        stdin_done_ = true;
        ::shutdown(debug_.get(), SHUT_WR);
        return;
    }
    write_fully(debug_.get(), buf, static_cast<std::size_t>(n));
}

WorkerProcess::Event WorkerProcess::next_frame(Channel &channel, double deadline, std::string *payload) {
    for (;;) {
        if (auto p = channel.next_payload()) {
            *payload = std::move(*p);
            return Event::Frame;
        }
        if (channel.malformed()) return Event::Malformed;
        if (channel.eof()) {
            drain_stderr();
            return Event::Eof;
        }
        int timeout_ms = -1;
        if (deadline >= 0) {
            double left = deadline - monotonic_seconds();
            if (left <= 0) {
                drain_stderr();
                return Event::Timeout;
            }
            timeout_ms = static_cast<int>(std::ceil(left * 1000.0));
        }
        // A closed fd (-1) is ignored by poll.
        const bool read_stdin = debug_ && debug_active_ && !stdin_done_;
        pollfd fds[4] = {{channel.fd(), POLLIN, 0},
                         {stderr_.get(), POLLIN, 0},
                         {debug_.get(), POLLIN, 0},
                         {read_stdin ? STDIN_FILENO : -1, POLLIN, 0}};
        int n = ::poll(fds, 4, timeout_ms);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Event::Eof;
        }
        if (stderr_ && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) drain_stderr();
        if (debug_ && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) relay_debug_output();
        if (read_stdin && debug_ && (fds[3].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) relay_debug_input();
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) channel.read_available();
    }
}

std::string WorkerProcess::take_stderr() {
    drain_stderr();
    return std::exchange(stderr_text_, std::string());
}

std::size_t WorkerProcess::traceback_size() const {
    struct stat st;
    if (fstat(traceback_.get(), &st) != 0) return 0;
    return static_cast<std::size_t>(st.st_size);
}

std::string WorkerProcess::traceback_text() const {
    std::string text(traceback_size(), '\0');
    ssize_t n = pread(traceback_.get(), text.data(), text.size(), 0);
    text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return text;
}

int WorkerProcess::reap(bool block) {
    if (reaped_) return wait_status_;
    // Held while the pid may disappear: AbortSwitch never signals a reaped
    // (possibly reused) pid.
    std::unique_lock<std::mutex> lock;
    if (abort_) lock = std::unique_lock<std::mutex>(abort_->mutex());
    for (;;) {
        int status = 0;
        pid_t r = waitpid(pid_, &status, block ? 0 : WNOHANG);
        if (r != 0 && abort_ && (r == pid_ || errno != EINTR)) abort_->clear_live_locked();
        if (r == pid_) {
            reaped_ = true;
            wait_status_ = status;
            return status;
        }
        if (r == 0) return -2;  // still running
        if (errno == EINTR) continue;
        // ECHILD: the host reaps children itself (a SIGCHLD handler); the
        // status is lost but the process is gone.
        reaped_ = true;
        return wait_status_;
    }
}

int WorkerProcess::kill_and_reap() {
    if (pid_ <= 0) return -1;
    if (lane_) {
        // The zygote reaps its lanes; signal through the pidfd only (the
        // pid may already name another process once the zygote reaped it).
        if (pidfd_ && !reaped_) syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
        reaped_ = true;
        return -1;
    }
    // The group holds the zygote, its test children and anything they
    // started without leaving the group.
    if (!reaped_) ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    int status = reap(true);
    ::kill(-pid_, SIGKILL);
    return status;
}

std::optional<int> WorkerProcess::wait_exit(double seconds) {
    double deadline = monotonic_seconds() + seconds;
    for (;;) {
        int status = reap(false);
        if (status != -2) return status;
        if (monotonic_seconds() >= deadline) return std::nullopt;
        std::string ignored;
        if (next_frame(std::min(deadline, monotonic_seconds() + 0.02), &ignored) == Event::Eof) {
            // Socket closed: the process exits imminently.
            usleep(1000);
        }
    }
}

}  // namespace tach
