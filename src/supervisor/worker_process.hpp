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

class WorkerProcess {
public:
    // Spawns `worker_path`; `max_memory` bytes (0: none) become the
    // worker's RLIMIT_AS (see worker/memory_limit.hpp).  Returns 0, or an
    // errno value with *error set.
    // `abort` (may be null) learns the pid while it may be signalled.
    static int start(const std::string &worker_path, std::uint64_t max_memory, AbortSwitch *abort,
                     std::optional<WorkerProcess> *out, std::string *error);

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
    int reap(bool block);

    pid_t pid_ = -1;
    AbortSwitch *abort_ = nullptr;
    bool reaped_ = false;
    int wait_status_ = -1;
    Channel control_;
    UniqueFd stderr_;
    UniqueFd traceback_;
    std::string stderr_text_;
};

}  // namespace tach
