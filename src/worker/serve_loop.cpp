#include "worker/serve_loop.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "common/frame_io.hpp"
#include "common/protocol.hpp"
#include "restore/fd_table.hpp"
#include "tach.h"
#include "worker/context.hpp"
#include "worker/fork_runner.hpp"
#include "worker/run_in_process.hpp"
#include "worker/snapshot_runner.hpp"

namespace tach::worker {
namespace {

// Fork mode: a child shares its open file descriptions with the zygote, so
// a test that moves a file offset or sets O_NONBLOCK would leave that for
// the next test.  The zygote saves its fds at the snapshot and puts offsets
// and flags back after every child.
restore::FdTable g_zygote_fds;

int snapshot_for_fork(int fd) {
    restore::RestoreError err;
    const int engine_fds[] = {fd, context().traceback_fd};
    g_zygote_fds.release();
    protocol::Ack reply;
    if (!g_zygote_fds.save(engine_fds, 2, &err)) {
        reply.status = TACH_ERROR;
        reply.message = std::string("cannot save the zygote's file descriptors: ") + (err.what ? err.what : "");
    }
    return write_all(fd, protocol::encode(reply)) == 0 ? 0 : -1;
}

void put_back_zygote_fds() {
    restore::RestoreError err;
    if (g_zygote_fds.saved() && !g_zygote_fds.restore(&err)) {
        // The zygote's own fds are never closed by a child; failing here
        // means something outside the test changed them.
        std::fprintf(stderr, "tach-worker: cannot put the zygote's fds back: %s\n", err.what ? err.what : "?");
    }
}

int ack(int fd) { return write_all(fd, protocol::encode(protocol::Ack{})) == 0 ? 0 : -1; }

int run_here(PyObject *runner, const std::string &nodeid, int fd) {
    if (write_all(fd, protocol::encode(protocol::Started{static_cast<std::uint32_t>(getpid())})) != 0)
        return -1;
    protocol::Result r = run_in_process(runner, nodeid, /*forked=*/false);
    return write_all(fd, protocol::encode(r)) == 0 ? 0 : -1;
}

// Waits until a request arrives (true) or the snapshot runner exits (false).
bool wait_for_request(int fd, const RunnerWatch &watch) {
    if (!watch.active() || watch.pidfd < 0) return true;
    for (;;) {
        pollfd fds[2] = {{fd, POLLIN, 0}, {watch.pidfd, POLLIN, 0}};
        int n;
        Py_BEGIN_ALLOW_THREADS
        n = ::poll(fds, 2, -1);
        Py_END_ALLOW_THREADS
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return true;
        if (fds[0].revents) return true;  // requests first: the runner's end is reported after
        if (fds[1].revents) return false;
    }
}

}  // namespace

int serve(PyObject *runner) {
    const int fd = context().socket_fd;
    RunnerWatch watch;
    for (;;) {
        if (!wait_for_request(fd, watch)) {
            if (report_runner_exit(runner, fd, &watch) != 0) return -1;
            continue;
        }
        ReadFrame frame;
        Py_BEGIN_ALLOW_THREADS
        frame = read_frame_blocking(fd);
        Py_END_ALLOW_THREADS
        if (frame.status != ReadStatus::Ok) {
            stop_snapshot_runner(&watch);
            return frame.status == ReadStatus::Eof ? 0 : -1;
        }
        auto type = protocol::payload_type(frame.payload);
        if (!type) return -1;
        switch (*type) {
        case protocol::MessageType::Snapshot: {
            auto request = protocol::decode_snapshot(frame.payload);
            if (!request) return -1;
            if (request->isolation == TACH_ISOLATION_SNAPSHOT) {
                // A new runner is wanted (the first, or a replacement).
                stop_snapshot_runner(&watch);
                if (spawn_snapshot_runner(runner, fd, &watch) != 0) return -1;
            } else if (request->isolation == TACH_ISOLATION_FORK) {
                if (snapshot_for_fork(fd) != 0) return -1;
            } else if (ack(fd) != 0) {
                return -1;
            }
            break;
        }
        case protocol::MessageType::Restore:
            // Fork mode leaves the zygote pristine; none mode keeps effects
            // by definition; a snapshot runner restores itself.
            if (ack(fd) != 0) return -1;
            break;
        case protocol::MessageType::Run: {
            auto run = protocol::decode_run(frame.payload);
            if (!run) return -1;
            int rc = run->isolation == TACH_ISOLATION_NONE ? run_here(runner, run->nodeid, fd)
                                                           : run_forked(runner, run->nodeid, fd);
            if (run->isolation != TACH_ISOLATION_NONE) put_back_zygote_fds();
            if (rc != 0) return -1;
            break;
        }
        case protocol::MessageType::Shutdown:
            stop_snapshot_runner(&watch);
            return 0;
        default:
            return -1;
        }
    }
}

}  // namespace tach::worker
