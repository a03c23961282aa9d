#include "worker/snapshot_runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/frame_io.hpp"
#include "common/monotonic_clock.hpp"
#include "common/protocol.hpp"
#include "restore/arena.hpp"
#include "restore/children.hpp"
#include "restore/fd_table.hpp"
#include "restore/memory_image.hpp"
#include "restore/process_state.hpp"
#include "restore/signal_state.hpp"
#include "restore/threads.hpp"
#include "tach.h"
#include "worker/context.hpp"
#include "worker/memory_limit.hpp"
#include "worker/run_in_process.hpp"

namespace tach::worker {
namespace {

// Address space for the engine's own state and the golden copy.  Reserved
// with MAP_NORESERVE: only what is touched costs memory.
constexpr std::size_t kArenaBytes = std::size_t{16} << 30;
constexpr std::size_t kRequestBytes = 1 << 20;
static_assert(kArenaBytes + (std::size_t{64} << 20) <= kRunnerHeadroom,
              "a memory-limited runner must have room for its arena");

// Everything the runner must remember across restores.  It lives in the
// arena, which restore never touches; the pointer to it is set before the
// golden image is taken and never changes afterwards.
struct RunnerState {
    restore::MemoryImage memory;
    restore::FdTable fds;
    restore::SignalState signals;
    restore::ProcessState process;
    char *request;  // kRequestBytes: the current request frame
    bool verify;
    std::uint64_t restores;
    // Fault-injection hook for tests only (TACH_TEST_HOOK_STALL_RESTORE):
    // at the start of a restore, if this file does not exist yet, create
    // it with the runner's pid and stop there, so a test can SIGKILL the
    // runner mid-restore.  "" = off.
    char stall_restore_file[256];
};

// The hook above; allocation-free like the rest of the restore path.
void stall_restore_if_asked(const char *path) {
    if (!path[0]) return;
    // One-shot: the replacement runner finds the file and carries on.
    int f = ::open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (f < 0) return;
    {
        char digits[16];
        int n = 0;
        for (unsigned pid = static_cast<unsigned>(getpid()); n == 0 || pid; pid /= 10) digits[n++] = static_cast<char>('0' + pid % 10);
        char text[16];
        for (int i = 0; i < n; ++i) text[i] = digits[n - 1 - i];
        ssize_t ignored = ::write(f, text, static_cast<std::size_t>(n));
        (void)ignored;
        ::close(f);
    }
    for (;;) pause();
}

RunnerState *g_runner = nullptr;

// Reads one request frame into the arena buffer; returns its payload size
// or 0 on EOF / error / oversize.
std::size_t read_request(int fd) { return read_frame_into(fd, g_runner->request, kRequestBytes); }

void send_frame(int fd, const char *buf, std::size_t len) {
    if (len == 0 || write_all(fd, std::string_view(buf, len)) != 0) _exit(2);
}

[[noreturn]] void fail_and_exit(int fd, const char *reason, int sys_errno) {
    char text[512];
    if (sys_errno)
        std::snprintf(text, sizeof text, "%s: %s", reason, std::strerror(sys_errno));
    else
        std::snprintf(text, sizeof text, "%s", reason);
    char buf[1024];
    std::size_t n = protocol::encode_restored_into(buf, sizeof buf, TACH_ERROR, 0, 0, text);
    if (n) write_all(fd, std::string_view(buf, n));
    _exit(3);
}

// Runs one test; every heap object it creates is gone when it returns, so
// nothing on this stack refers to memory the restore is about to roll back.
void serve_one_test(PyObject *runner, int fd, std::size_t request_len) {
    auto run = protocol::decode_run(std::string_view(g_runner->request, request_len));
    if (!run) _exit(2);
    if (write_all(fd, protocol::encode(protocol::Started{static_cast<std::uint32_t>(getpid())})) != 0) _exit(2);
    protocol::Result r = run_in_process(runner, run->nodeid, /*forked=*/true);
    if (write_all(fd, protocol::encode(r)) != 0) _exit(2);
}

// The whole restore, in the order that keeps each step from undoing
// another: kernel objects before memory (their syscalls may touch libc's
// memory), memory, then the signal mask last.
void restore_and_report(int fd) {
    double start = monotonic_seconds();
    restore::RestoreError err;
    restore::MemoryStats stats;
    int stack_marker = 0;
    auto stack_addr = reinterpret_cast<std::uintptr_t>(&stack_marker);
    RunnerState &s = *g_runner;
    stall_restore_if_asked(s.stall_restore_file);
    // Signals first: blocked, so no handler writes memory mid-restore, and
    // dispositions back, so a test's SIGCHLD=SIG_IGN cannot reap children
    // behind our back.  Process state before fds: a lowered RLIMIT_NOFILE
    // would make putting fds back fail.
    if (!s.signals.begin(&err) || !restore::wait_single_thread(restore::kDefaultThreadsTimeoutMs, &err) ||
        !restore::kill_and_reap_children(&err) || !s.process.restore(&err) || !s.fds.restore(&err) ||
        !s.memory.restore(stack_addr, &stats, &err))
        fail_and_exit(fd, err.what ? err.what : "restore failed", err.sys_errno);
    if (s.verify) {
        std::uint64_t bad = 0;
        if (!s.memory.verify(&bad, &err)) {
            char text[160];
            std::snprintf(text, sizeof text, "TACH_VERIFY_RESTORE: memory at 0x%llx differs from the golden image",
                          static_cast<unsigned long long>(bad));
            fail_and_exit(fd, text, 0);
        }
    }
    // errno is part of restored memory; keep the golden value.
    int golden_errno = errno;
    if (!s.signals.finish(&err)) fail_and_exit(fd, err.what ? err.what : "signal restore failed", err.sys_errno);
    errno = golden_errno;
    ++s.restores;
    char buf[256];
    send_frame(fd, buf, protocol::encode_restored_into(buf, sizeof buf, TACH_OK, stats.pages_copied,
                                                        monotonic_seconds() - start, ""));
}

}  // namespace

[[noreturn]] void snapshot_runner_main(PyObject *runner, int fd) {
    restore::Arena arena;
    if (!widen_memory_limit_for_runner()) fail_and_exit(fd, "cannot widen the memory limit for the arena", errno);
    if (!arena.reserve(kArenaBytes)) fail_and_exit(fd, "cannot reserve the engine arena", errno);
    g_runner = arena.allocate_array<RunnerState>(1);
    RunnerState &s = *g_runner;
    s.request = static_cast<char *>(arena.allocate(kRequestBytes, 4096));
    const char *verify = std::getenv("TACH_VERIFY_RESTORE");
    s.verify = verify && *verify && std::strcmp(verify, "0") != 0;
    const char *stall = std::getenv("TACH_TEST_HOOK_STALL_RESTORE");
    std::snprintf(s.stall_restore_file, sizeof s.stall_restore_file, "%s", stall ? stall : "");

    restore::RestoreError err;
    if (!restore::set_child_subreaper(&err)) fail_and_exit(fd, err.what, err.sys_errno);
    if (restore::count_tasks() != 1)
        fail_and_exit(fd, "the interpreter runs threads at snapshot time (started by the project or a plugin); "
                          "snapshot isolation needs a single-threaded worker", 0);
    if (!s.memory.prepare(arena, &err)) fail_and_exit(fd, err.what, err.sys_errno);
    if (!s.process.save(&err) || !s.signals.save(&err)) fail_and_exit(fd, err.what, err.sys_errno);
    const int engine_fds[] = {fd, context().traceback_fd, s.memory.uffd(), s.memory.pagemap_fd(),
                              s.memory.maps_fd(), s.process.cwd_fd(), s.process.timers_fd()};
    if (!s.fds.save(engine_fds, sizeof engine_fds / sizeof engine_fds[0], &err))
        fail_and_exit(fd, err.what, err.sys_errno);
    int stack_marker = 0;
    if (!s.memory.capture(reinterpret_cast<std::uintptr_t>(&stack_marker), &err))
        fail_and_exit(fd, err.what, err.sys_errno);

    char text[160];
    std::snprintf(text, sizeof text, "golden image: %zu ranges, %.1f MiB", s.memory.tracked_ranges(),
                  static_cast<double>(s.memory.tracked_bytes()) / (1 << 20));
    char buf[256];
    send_frame(fd, buf, protocol::encode_ack_into(buf, sizeof buf, TACH_OK, text));

    for (;;) {
        std::size_t len = read_request(fd);
        if (len == 0) _exit(0);  // host gone or Shutdown-by-EOF
        auto type = protocol::payload_type(std::string_view(s.request, len));
        if (type == protocol::MessageType::Shutdown) _exit(0);
        if (type != protocol::MessageType::Run) _exit(2);
        serve_one_test(runner, fd, len);
        restore_and_report(fd);
    }
}

int spawn_snapshot_runner(PyObject *runner, int host_fd, RunnerWatch *watch) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return -1;
    PyOS_BeforeFork();
    pid_t pid = fork();
    if (pid == 0) {
        PyOS_AfterFork_Child();
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::close(sv[0]);
        ::close(host_fd);
        snapshot_runner_main(runner, sv[1]);
    }
    PyOS_AfterFork_Parent();
    ::close(sv[1]);
    if (pid < 0) {
        ::close(sv[0]);
        return -1;
    }
    std::string frame = protocol::encode(protocol::RunnerReady{static_cast<std::uint32_t>(pid)});
    iovec iov{frame.data(), frame.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cm), &sv[0], sizeof(int));
    ssize_t sent;
    do {
        sent = sendmsg(host_fd, &msg, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    ::close(sv[0]);
    watch->pid = pid;
    watch->pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    if (sent < 0) return -1;
    // A frame is small; finish a short write like any other.
    if (static_cast<std::size_t>(sent) < frame.size() &&
        write_all(host_fd, std::string_view(frame).substr(static_cast<std::size_t>(sent))) != 0)
        return -1;
    return 0;
}

int report_runner_exit(PyObject *runner, int host_fd, RunnerWatch *watch) {
    int status = 0;
    while (waitpid(watch->pid, &status, 0) < 0 && errno == EINTR) {
    }
    protocol::RunnerExited msg;
    msg.pid = static_cast<std::uint32_t>(watch->pid);
    msg.wait_status = status;
    read_crash_output(runner, &msg.stdout_text, &msg.stderr_text);
    if (watch->pidfd >= 0) ::close(watch->pidfd);
    *watch = RunnerWatch{};
    return write_all(host_fd, protocol::encode(msg)) == 0 ? 0 : -1;
}

void stop_snapshot_runner(RunnerWatch *watch) {
    if (!watch->active()) return;
    kill(watch->pid, SIGKILL);
    while (waitpid(watch->pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    if (watch->pidfd >= 0) ::close(watch->pidfd);
    *watch = RunnerWatch{};
}

}  // namespace tach::worker
