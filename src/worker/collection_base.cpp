#include "worker/collection_base.hpp"

#include "worker/python_compat.hpp"
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "common/frame_io.hpp"
#include "common/protocol.hpp"
#include "common/unique_fd.hpp"
#include "worker/context.hpp"

namespace tach::worker {
namespace {

// The request a zygote left in the shared memfd, if it left one.
std::optional<protocol::Recollect> take_request(int fd) {
    if (lseek(fd, 0, SEEK_SET) != 0) return std::nullopt;
    ReadFrame frame = read_frame_blocking(fd);
    if (frame.status != ReadStatus::Ok) return std::nullopt;
    return protocol::decode_recollect(frame.payload);
}

// Ends the base as its zygote ended: the same exit code, or death by the
// same signal (without a core file of its own).
[[noreturn]] void end_like(int wait_status) {
    if (WIFEXITED(wait_status)) _exit(WEXITSTATUS(wait_status));
    const int sig = WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : SIGKILL;
    prctl(PR_SET_DUMPABLE, 0);
    signal(sig, SIG_DFL);  // Python and faulthandler have handlers
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, nullptr);
    raise(sig);
    _exit(128 + sig);
}

}  // namespace

bool has_collection_base() { return context().recollect_fd >= 0; }

std::vector<std::string> park_before_collection() {
    Context &ctx = context();
    std::vector<std::string> paths = std::move(ctx.collect_paths);
    ctx.collect_paths.clear();
    if (!ctx.keep_base) return paths;
    ctx.keep_base = false;  // once: a zygote never parks again
    UniqueFd request(memfd_create("tach-recollect", MFD_CLOEXEC));
    if (!request) {
        // No base then: this process collects, and Recollect is refused
        // (the host starts a new worker instead).
        std::fprintf(stderr, "tach-worker: cannot park the pre-collection state: %s\n", std::strerror(errno));
        return paths;
    }
    const pid_t base = getpid();
    for (;;) {
        if (ftruncate(request.get(), 0) != 0) return paths;
        PyOS_BeforeFork();
        const pid_t pid = fork();
        if (pid == 0) {
            PyOS_AfterFork_Child();
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != base) _exit(1);  // the base is already gone
            ctx.recollect_fd = request.release();
            return paths;
        }
        PyOS_AfterFork_Parent();
        if (pid < 0) {
            std::fprintf(stderr, "tach-worker: cannot fork a zygote from the pre-collection state: %s\n",
                         std::strerror(errno));
            return paths;  // collect here, without a base
        }
        int status = 0;
        pid_t got;
        Py_BEGIN_ALLOW_THREADS
        do {
            got = waitpid(pid, &status, 0);
        } while (got < 0 && errno == EINTR);
        Py_END_ALLOW_THREADS
        // ECHILD: the project set SIGCHLD to SIG_IGN, so the kernel reaped
        // the zygote; its request, if it left one, still tells.
        const bool unknown = got < 0;
        if (unknown) status = W_EXITCODE(1, 0);
        std::optional<protocol::Recollect> next = unknown || (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                                                      ? take_request(request.get())
                                                      : std::nullopt;
        if (!next) end_like(status);
        paths = std::move(next->paths);
    }
}

void leave_for_recollection(const std::vector<std::string> &paths) {
    const int fd = context().recollect_fd;
    const std::string frame = protocol::encode(protocol::Recollect{paths});
    // Without the request the base ends, and the host sees the worker end.
    if (fd < 0 || ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0 || write_all(fd, frame) != 0) _exit(1);
    std::fflush(nullptr);
    _exit(0);
}

}  // namespace tach::worker
