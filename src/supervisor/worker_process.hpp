// One tach-worker child of the host: its pid, its socket, the pipe its
// stderr goes to and the memfd a timed-out test's traceback is written to.
// Owns all of them: destroying it kills the worker's whole process group
// and reaps the worker.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/monotonic_clock.hpp"
#include "common/unique_fd.hpp"
#include "supervisor/abort_switch.hpp"
#include "supervisor/channel.hpp"

namespace tach {

// What a worker is started with beyond the basics.
struct WorkerExtras {
    // A debug socket (the worker's fd 5, $TACH_DEBUG_FD): pdb in a test
    // talks over it, and WorkerProcess::next_frame() relays it to this
    // process's stdin/stdout (docs/debugging.md).
    bool debugger = false;
    // Bytes of address space (0: none), the worker's RLIMIT_AS (see
    // worker/memory_limit.hpp).
    std::uint64_t max_memory = 0;
    // New user, mount and network namespaces (src/sandbox/sandbox.hpp).
    bool sandbox = false;
    // Learns the worker's pid while it may be signalled (tach_shutdown
    // from another thread); may be null.
    AbortSwitch *abort = nullptr;
};

class WorkerProcess {
public:
    // Spawns `worker_path`.  Returns 0, or an errno value with *error set.
    static int start(const std::string &worker_path, std::optional<WorkerProcess> *out,
                     std::string *error, const WorkerExtras &extras = WorkerExtras());

    // A lane: a process the zygote forked (not our child), reached through
    // its own socket, stderr pipe and traceback memfd.  Killing it kills
    // only that process; its wait status comes from the zygote.
    static WorkerProcess adopt_lane(pid_t pid, UniqueFd socket, UniqueFd stderr_read, UniqueFd traceback,
                                    UniqueFd debug);

    WorkerProcess(WorkerProcess &&) noexcept;
    WorkerProcess &operator=(WorkerProcess &&) = delete;
    WorkerProcess(const WorkerProcess &) = delete;
    ~WorkerProcess();

    pid_t pid() const { return pid_; }

    // Sends one frame to the zygote.  0 or an errno value (EPIPE: gone).
    int send(std::string_view frame) { return control_.send(frame); }

    enum class Event { Frame, Eof, Timeout, Malformed };
    // Waits for the next frame on `channel` (the zygote's, or a snapshot
    // runner's) until `deadline` (CLOCK_MONOTONIC seconds; < 0: no limit),
    // draining the worker's stderr meanwhile.
    Event next_frame(Channel &channel, double deadline, std::string *payload);
    Event next_frame(double deadline, std::string *payload) { return next_frame(control_, deadline, payload); }
    Channel &control() { return control_; }

    // Debugger relay: true once the current test's debugger has written to
    // the terminal (stdin is relayed from then on, and the engine lifts the
    // test's timeout); reset before each test.
    bool debug_session_active() const { return debug_active_; }
    void end_debug_session() { debug_active_ = false; }

    // What the worker wrote to stderr since the last call (bounded).
    std::string take_stderr();
    // The traceback file's current content.
    std::string traceback_text() const;
    std::size_t traceback_size() const;

    // SIGKILLs the worker's process group and reaps the worker; returns its
    // wait status (or -1 if it was already reaped by someone else).
    int kill_and_reap();
    // Waits up to `seconds` for the worker to exit by itself; returns its
    // wait status, or nullopt if it is still running.
    std::optional<int> wait_exit(double seconds);

private:
    explicit WorkerProcess(UniqueFd control) : control_(std::move(control)) {}
    void drain_stderr();
    // Moves what the worker's debugger wrote to our stdout, and (while a
    // session is active) what the user typed to the debugger.
    void relay_debug_output();
    void relay_debug_input();
    int reap(bool block);

    pid_t pid_ = -1;
    bool lane_ = false;
    UniqueFd pidfd_;  // lanes: signalled through it, never a reused pid
    AbortSwitch *abort_ = nullptr;
    bool reaped_ = false;
    int wait_status_ = -1;
    Channel control_;
    UniqueFd stderr_;
    UniqueFd traceback_;
    UniqueFd debug_;
    bool debug_active_ = false;
    bool stdin_done_ = false;
    std::string stderr_text_;
};

}  // namespace tach
