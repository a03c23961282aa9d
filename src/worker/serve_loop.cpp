#include "worker/serve_loop.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "common/frame_io.hpp"
#include "common/protocol.hpp"
#include "restore/fd_table.hpp"
#include "tach.h"
#include "worker/collection_base.hpp"
#include "worker/context.hpp"
#include "worker/fork_runner.hpp"
#include "worker/lane.hpp"
#include "worker/python_text.hpp"
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

bool uint_list(PyObject *list, std::vector<std::uint32_t> *out) {
    if (!PyList_Check(list)) return false;
    out->reserve(static_cast<std::size_t>(PyList_GET_SIZE(list)));
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); ++i) {
        unsigned long v = PyLong_AsUnsignedLong(PyList_GET_ITEM(list, i));
        if (PyErr_Occurred() || v > 0xffffffffUL) return false;
        out->push_back(static_cast<std::uint32_t>(v));
    }
    return true;
}

// Statements: runner.statements(paths, include_unimported) computes, in
// the shim, [(path, statements, multiline pairs)] for the report's
// denominator.  It runs in the zygote: compiling a file executes none of it.
int answer_statements(PyObject *runner, int fd, const protocol::Statements &request) {
    protocol::StatementLines reply;
    PyObject *paths = PyList_New(0);
    for (const auto &p : request.paths) {
        PyObject *s = paths ? PyUnicode_DecodeFSDefaultAndSize(p.data(), static_cast<Py_ssize_t>(p.size())) : nullptr;
        if (!s || PyList_Append(paths, s) != 0) Py_CLEAR(paths);
        Py_XDECREF(s);
        if (!paths) break;
    }
    PyObject *out = paths ? PyObject_CallMethod(runner, "statements", "OO", paths,
                                                request.include_unimported ? Py_True : Py_False)
                          : nullptr;
    Py_XDECREF(paths);
    bool ok = out && PyList_Check(out);
    for (Py_ssize_t i = 0; ok && i < PyList_GET_SIZE(out); ++i) {
        PyObject *item = PyList_GET_ITEM(out, i);
        protocol::FileStatements f;
        ok = PyTuple_Check(item) && PyTuple_GET_SIZE(item) == 3 &&
             uint_list(PyTuple_GET_ITEM(item, 1), &f.statements) && uint_list(PyTuple_GET_ITEM(item, 2), &f.multiline);
        if (ok) {
            f.path = utf8_of(PyTuple_GET_ITEM(item, 0));
            reply.files.push_back(std::move(f));
        }
    }
    if (!ok) {
        reply.files.clear();
        reply.status = TACH_ERROR;
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        reply.message = "the tach shim could not list statements: " +
                        (value ? utf8_of(value) : std::string("it returned something else than a list"));
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
    }
    Py_XDECREF(out);
    PyErr_Clear();
    return write_all(fd, protocol::encode(reply)) == 0 ? 0 : -1;
}

// Why the parked pre-collection state may no longer be used (a module it
// imported changed since): runner.stale_reason(), "" when it may.  Any
// failure to tell counts as out of date.
std::string stale_reason(PyObject *runner) {
    if (!has_collection_base()) return "this worker keeps no pre-collection state";
    PyObject *out = PyObject_CallMethod(runner, "stale_reason", nullptr);
    if (!out) return "cannot tell whether the pre-collection state is current: " + take_exception_text();
    std::string reason = PyUnicode_Check(out) ? utf8_of(out) : "stale_reason() returned something else than str";
    Py_DECREF(out);
    return reason;
}

constexpr long kRequest = -1;
constexpr long kRunnerExited = -2;

// Waits until a request arrives (kRequest), the snapshot runner exits
// (kRunnerExited) or lane i exits (i).
long wait_for_request(int fd, const RunnerWatch &watch, const std::vector<LaneWatch> &lanes) {
    const bool runner = watch.active() && watch.pidfd >= 0;
    if (!runner && lanes.empty()) return kRequest;
    std::vector<pollfd> fds;
    fds.push_back({fd, POLLIN, 0});
    fds.push_back({runner ? watch.pidfd : -1, POLLIN, 0});
    for (const auto &lane : lanes) fds.push_back({lane.pidfd, POLLIN, 0});
    for (;;) {
        int n;
        Py_BEGIN_ALLOW_THREADS
        n = ::poll(fds.data(), fds.size(), -1);
        Py_END_ALLOW_THREADS
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return kRequest;
        if (fds[0].revents) return kRequest;  // requests first: a runner's end is reported after
        if (fds[1].revents) return kRunnerExited;
        for (std::size_t i = 2; i < fds.size(); ++i)
            if (fds[i].revents) return static_cast<long>(i - 2);
    }
}

}  // namespace

int serve(PyObject *runner) {
    const int fd = context().socket_fd;
    RunnerWatch watch;
    std::vector<LaneWatch> lanes;
    for (;;) {
        long woke = wait_for_request(fd, watch, lanes);
        if (woke == kRunnerExited) {
            if (report_runner_exit(runner, fd, &watch) != 0) return -1;
            continue;
        }
        if (woke >= 0) {
            if (report_lane_exit(fd, &lanes, static_cast<std::size_t>(woke)) != 0) return -1;
            continue;
        }
        ReadFrame frame;
        Py_BEGIN_ALLOW_THREADS
        frame = read_frame_blocking(fd);
        Py_END_ALLOW_THREADS
        if (frame.status != ReadStatus::Ok) {
            stop_snapshot_runner(&watch);
            stop_lanes(&lanes);
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
        case protocol::MessageType::Statements: {
            auto request = protocol::decode_statements(frame.payload);
            if (!request) return -1;
            if (answer_statements(runner, fd, *request) != 0) return -1;
            break;
        }
        case protocol::MessageType::OpenLane: {
            auto request = protocol::decode_open_lane(frame.payload);
            if (!request) return -1;
            if (open_lane(runner, fd, request->isolation, &lanes) != 0) return -1;
            break;
        }
        case protocol::MessageType::Recollect: {
            auto request = protocol::decode_recollect(frame.payload);
            if (!request) return -1;
            const std::string stale = stale_reason(runner);
            if (!stale.empty()) {
                // The host starts a new worker instead; this one serves on.
                protocol::Ack reply{static_cast<std::uint32_t>(TACH_EUNSUPPORTED), stale};
                if (write_all(fd, protocol::encode(reply)) != 0) return -1;
                break;
            }
            // The next zygote answers (Collected) on this same socket.
            stop_snapshot_runner(&watch);
            stop_lanes(&lanes);
            leave_for_recollection(request->paths);
        }
        case protocol::MessageType::Shutdown:
            stop_snapshot_runner(&watch);
            stop_lanes(&lanes);
            return 0;
        default:
            return -1;
        }
    }
}

int serve_lane(PyObject *runner, int fd, unsigned isolation) {
    if (isolation == TACH_ISOLATION_FORK) {
        // Saved again here: a table saved in the zygote refuses to restore
        // in another process, and this lane's socket is new.
        if (snapshot_for_fork(fd) != 0) return -1;
    } else if (ack(fd) != 0) {
        return -1;
    }
    for (;;) {
        ReadFrame frame;
        Py_BEGIN_ALLOW_THREADS
        frame = read_frame_blocking(fd);
        Py_END_ALLOW_THREADS
        if (frame.status != ReadStatus::Ok) return frame.status == ReadStatus::Eof ? 0 : -1;
        auto type = protocol::payload_type(frame.payload);
        if (type == protocol::MessageType::Shutdown) return 0;
        if (type != protocol::MessageType::Run) return -1;
        auto run = protocol::decode_run(frame.payload);
        if (!run) return -1;
        int rc = isolation == TACH_ISOLATION_NONE ? run_here(runner, run->nodeid, fd)
                                                  : run_forked(runner, run->nodeid, fd);
        if (isolation != TACH_ISOLATION_NONE) put_back_zygote_fds();
        if (rc != 0) return -1;
    }
}

}  // namespace tach::worker
