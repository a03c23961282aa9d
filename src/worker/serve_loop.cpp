#include "worker/serve_loop.hpp"

#include <unistd.h>

#include "common/frame_io.hpp"
#include "common/protocol.hpp"
#include "tach.h"
#include "worker/context.hpp"
#include "worker/fork_runner.hpp"
#include "worker/run_in_process.hpp"

namespace tach::worker {
namespace {

int ack(int fd) { return write_all(fd, protocol::encode(protocol::Ack{})) == 0 ? 0 : -1; }

int run_here(PyObject *runner, const std::string &nodeid, int fd) {
    if (write_all(fd, protocol::encode(protocol::Started{static_cast<std::uint32_t>(getpid())})) != 0)
        return -1;
    protocol::Result r = run_in_process(runner, nodeid, /*forked=*/false);
    return write_all(fd, protocol::encode(r)) == 0 ? 0 : -1;
}

}  // namespace

int serve(PyObject *runner) {
    const int fd = context().socket_fd;
    for (;;) {
        ReadFrame frame;
        Py_BEGIN_ALLOW_THREADS
        frame = read_frame_blocking(fd);
        Py_END_ALLOW_THREADS
        if (frame.status == ReadStatus::Eof) return 0;
        if (frame.status != ReadStatus::Ok) return -1;
        auto type = protocol::payload_type(frame.payload);
        if (!type) return -1;
        switch (*type) {
        case protocol::MessageType::Snapshot:
        case protocol::MessageType::Restore:
            // Fork mode leaves the zygote pristine; none mode keeps effects
            // by definition.  In-place restore will hook in here.
            if (ack(fd) != 0) return -1;
            break;
        case protocol::MessageType::Run: {
            auto run = protocol::decode_run(frame.payload);
            if (!run) return -1;
            int rc = context().isolation == TACH_ISOLATION_NONE
                         ? run_here(runner, run->nodeid, fd)
                         : run_forked(runner, run->nodeid, fd);
            if (rc != 0) return -1;
            break;
        }
        case protocol::MessageType::Shutdown:
            return 0;
        default:
            return -1;
        }
    }
}

}  // namespace tach::worker
