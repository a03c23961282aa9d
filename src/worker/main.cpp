// tach-worker: the process the host library spawns.  It embeds CPython,
// collects the project's tests through the shim and serves the host's
// requests.  Started as:
//
//   tach-worker --socket-fd N --traceback-fd N --host-pid PID
//
// and speaks the protocol in common/protocol.hpp on the socket.
#include "worker/python_compat.hpp"
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "common/frame_io.hpp"
#include "common/protocol.hpp"
#include "sandbox/sandbox.hpp"
#include "tach.h"
#include "worker/context.hpp"
#include "worker/environ_copy.hpp"
#include "worker/interpreter.hpp"
#include "worker/memory_limit.hpp"
#include "worker/python_text.hpp"

namespace {

using namespace tach;

int parse_int(const char *s) {
    char *end = nullptr;
    errno = 0;
    long v = std::strtol(s, &end, 10);
    if (errno || !end || *end || v < 0 || v > 1 << 30) return -1;
    return static_cast<int>(v);
}

// --max-memory BYTES: a whole number of bytes, 0 for none; nullopt if not.
std::optional<std::uint64_t> parse_bytes(const char *s) {
    char *end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(s, &end, 10);
    if (errno || !end || *end || *s == '-' || *s == '\0') return std::nullopt;
    return static_cast<std::uint64_t>(v);
}

int send_collect_failure(int fd, std::uint32_t status, const std::string &message) {
    protocol::Collected msg;
    msg.status = status;
    msg.message = message;
    write_all(fd, protocol::encode(msg));
    return 1;
}

// Runs tach_shim.main(args); it reports collection and serves tests through
// _tach_worker.  Returns "" when that happened, else pytest's message of
// why it stopped before collecting (usage error, conftest failure, ...).
std::string run_shim(const std::vector<std::string> &args, std::uint32_t *status) {
    *status = TACH_ECOLLECT;
    PyObject *shim = PyImport_ImportModule("tach_shim");
    if (!shim) {
        // The interpreter works; the shim installation is what is broken.
        *status = TACH_ERROR;
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        std::string why = worker::utf8_of(value);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        return "cannot import the tach shim (tach_shim): " + why + "; is the shim directory right?";
    }
    PyObject *py_args = PyList_New(0);
    for (const auto &a : args) {
        PyObject *s = PyUnicode_DecodeFSDefaultAndSize(a.data(), static_cast<Py_ssize_t>(a.size()));
        if (!s || PyList_Append(py_args, s) != 0) {
            Py_XDECREF(s);
            Py_DECREF(py_args);
            Py_DECREF(shim);
            *status = TACH_ERROR;
            return "cannot build the argument list";
        }
        Py_DECREF(s);
    }
    PyObject *out = PyObject_CallMethod(shim, "main", "O", py_args);
    Py_DECREF(py_args);
    Py_DECREF(shim);
    if (!out) {
        // A shim failure after collection was reported is the host's to see
        // as a dead worker; before that, it is the collection's failure.
        *status = TACH_ERROR;
        return "the tach shim failed: " + worker::take_exception_text();
    }
    // main() returns (status, message): status is a tach_status code.
    std::string message;
    if (PyTuple_Check(out) && PyTuple_GET_SIZE(out) == 2) {
        long st = PyLong_AsLong(PyTuple_GET_ITEM(out, 0));
        if (!PyErr_Occurred()) *status = static_cast<std::uint32_t>(st);
        PyErr_Clear();
        message = worker::utf8_of(PyTuple_GET_ITEM(out, 1));
    }
    Py_DECREF(out);
    return message;
}

}  // namespace

int main(int argc, char **argv) {
    int socket_fd = -1, traceback_fd = -1, host_pid = -1, sandboxed = 0;
    std::optional<std::uint64_t> max_memory = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string_view key = argv[i];
        if (key == "--max-memory") {
            max_memory = parse_bytes(argv[i + 1]);
            continue;
        }
        int value = parse_int(argv[i + 1]);
        if (key == "--socket-fd") socket_fd = value;
        else if (key == "--traceback-fd") traceback_fd = value;
        else if (key == "--host-pid") host_pid = value;
        else if (key == "--sandbox") sandboxed = value;
    }
    if (socket_fd < 0 || traceback_fd < 0 || host_pid <= 0 || !max_memory) {
        std::fprintf(stderr,
                     "tach-worker is started by libtach, not by hand\n"
                     "usage: tach-worker --socket-fd N --traceback-fd N --host-pid PID [--max-memory BYTES]\n"
                     "                   [--sandbox 1]\n");
        return 2;
    }
    // Die with the host, even if it is SIGKILLed (the host spawns from a
    // thread that lives as long as the host process).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != host_pid) return 1;  // the host is already gone
    signal(SIGPIPE, SIG_IGN);

    // ld.so has read LD_BIND_NOW already; the tests must not see it.
    if (std::getenv("TACH_WORKER_UNSET_LD_BIND_NOW")) {
        unsetenv("LD_BIND_NOW");
        unsetenv("TACH_WORKER_UNSET_LD_BIND_NOW");
    }

    auto &ctx = worker::context();
    // The memory limit holds before Python allocates anything, and every
    // test process (forked children, snapshot runners) inherits it.
    if (*max_memory != 0 && !worker::limit_memory(*max_memory)) {
        std::fprintf(stderr, "tach-worker: cannot set the memory limit: %s\n", std::strerror(errno));
        return 1;
    }
    ctx.socket_fd = socket_fd;
    ctx.traceback_fd = traceback_fd;
    if (const char *debug = std::getenv("TACH_DEBUG_FD")) ctx.debug_fd = parse_int(debug);
    struct stat stderr_stat;
    if (fstat(STDERR_FILENO, &stderr_stat) == 0) {
        ctx.stderr_dev = stderr_stat.st_dev;
        ctx.stderr_ino = stderr_stat.st_ino;
    }

    if (!worker::move_environ_to_heap()) return 1;

    protocol::Hello hello;
    hello.pid = static_cast<std::uint32_t>(getpid());
    if (write_all(socket_fd, protocol::encode(hello)) != 0) return 1;

    ReadFrame frame = read_frame_blocking(socket_fd);
    if (frame.status != ReadStatus::Ok) return 1;
    auto init = protocol::decode_init(frame.payload);
    if (!init) return send_collect_failure(socket_fd, TACH_EWORKER, "malformed Init message");
    ctx.coverage = init->coverage != 0;
    ctx.coverage_sources = init->sources;
    ctx.collect_paths = init->paths;
    ctx.keep_base = init->keep_base != 0;

    // Before Python starts (and any thread): unshare(CLONE_NEWUSER) needs a
    // single-threaded process.  A sandbox that cannot be had ends the
    // worker; it never runs the tests unsandboxed.
    if (sandboxed) {
        std::string why = sandbox::enter(sandbox::default_writable_dirs(), {init->project_root});
        if (!why.empty())
            return send_collect_failure(socket_fd, TACH_EUNSUPPORTED,
                                        "the sandbox is unavailable here: " + why +
                                            " (tach --doctor tells more)");
    }

    if (chdir(init->project_root.c_str()) != 0)
        return send_collect_failure(socket_fd, TACH_ENOTFOUND,
                                    "cannot enter project root " + init->project_root + ": " +
                                        std::strerror(errno));

    std::string error = worker::start_interpreter({init->python, init->shim_dir});
    if (!error.empty()) return send_collect_failure(socket_fd, TACH_EINTERP, error);

    std::uint32_t status = 0;
    std::string message = run_shim(init->args, &status);
    if (!ctx.collected_sent) {
        send_collect_failure(socket_fd, status ? status : static_cast<std::uint32_t>(TACH_ECOLLECT),
                             message.empty() ? "pytest stopped before collecting" : message);
        worker::stop_interpreter();
        return 1;
    }
    return worker::stop_interpreter() == 0 ? 0 : 1;
}
