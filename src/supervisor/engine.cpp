#include "supervisor/engine.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstring>

namespace tach {
namespace {

// How long a new worker may take to say hello (Python is not started yet).
constexpr double kHelloSeconds = 30.0;
// After SIGUSR2, how long faulthandler gets to write the stuck test's stack.
constexpr double kTracebackGraceSeconds = 2.0;
// After SIGKILL of a test child, how long the zygote gets to report it.
constexpr double kReportAfterKillSeconds = 10.0;
// How long a worker may take to exit after Shutdown.
constexpr double kShutdownSeconds = 2.0;

std::string describe_wait_status(int status) {
    if (status < 0) return "ended";
    if (WIFSIGNALED(status))
        return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
               strsignal(WTERMSIG(status)) + ")";
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    return "ended";
}

// "1.5 s", "2 s": how a person writes a duration.
std::string seconds_text(double seconds) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g s", seconds);
    return buf;
}

std::string with_output(std::string message, const std::string &stderr_text) {
    if (!stderr_text.empty()) message += "\nworker stderr:\n" + stderr_text;
    return message;
}

}  // namespace

Engine::~Engine() {
    if (!worker_) return;
    if (worker_->send(protocol::encode_empty(protocol::MessageType::Shutdown)) == 0)
        worker_->wait_exit(kShutdownSeconds);
    worker_.reset();  // kills and reaps whatever is left
}

int Engine::fail(int status, std::string message) {
    error_ = std::move(message);
    return status;
}

int Engine::worker_failure(const std::string &what) {
    std::string stderr_text = worker_ ? worker_->take_stderr() : std::string();
    int status = worker_ ? worker_->kill_and_reap() : -1;
    worker_.reset();
    return fail(TACH_EWORKER, with_output("worker " + describe_wait_status(status) + " " + what, stderr_text));
}

void Engine::discard_worker() { worker_.reset(); }

int Engine::start_worker(protocol::Collected *collected) {
    std::string error;
    if (WorkerProcess::start(options_.worker_path, &worker_, &error) != 0) return fail(TACH_EWORKER, error);

    std::string payload;
    auto event = worker_->next_frame(monotonic_seconds() + kHelloSeconds, &payload);
    if (event == WorkerProcess::Event::Timeout) return worker_failure("did not start within 30 s");
    if (event != WorkerProcess::Event::Frame) return worker_failure("before saying hello");
    auto hello = protocol::decode_hello(payload);
    if (!hello) return worker_failure("sent a malformed hello");
    if (hello->version != protocol::kVersion)
        return worker_failure("speaks protocol " + std::to_string(hello->version) + ", the library " +
                              std::to_string(protocol::kVersion) + " (mismatched installation)");

    protocol::Init init;
    init.project_root = options_.project_root;
    init.python = options_.python;
    init.shim_dir = options_.shim_dir;
    init.isolation = static_cast<std::uint32_t>(options_.isolation);
    init.args = options_.args;
    if (worker_->send(protocol::encode(init)) != 0) return worker_failure("before it could be initialised");

    // Collection has no time limit: large projects import for minutes.
    event = worker_->next_frame(-1, &payload);
    if (event != WorkerProcess::Event::Frame) return worker_failure("while collecting tests");
    auto got = protocol::decode_collected(payload);
    if (!got) return worker_failure("sent a malformed collection report");
    if (got->status != TACH_OK) {
        std::string stderr_text = worker_->take_stderr();
        worker_.reset();
        // pytest's own message already says everything for usage errors.
        return fail(static_cast<int>(got->status), got->message);
    }
    *collected = std::move(*got);
    return TACH_OK;
}

int Engine::init() {
    protocol::Collected collected;
    int status = start_worker(&collected);
    if (status != TACH_OK) {
        failed_ = true;
        return status;
    }
    python_version_ = collected.python_version;
    pytest_version_ = collected.pytest_version;
    nodeids_ = std::move(collected.nodeids);
    collect_errors_ = std::move(collected.errors);
    interrupts_ = collected.interrupts != 0;
    for (std::size_t i = 0; i < nodeids_.size(); ++i) index_.emplace(nodeids_[i], i);
    return TACH_OK;
}

int Engine::request_ack(protocol::MessageType type) {
    if (worker_->send(protocol::encode_empty(type)) != 0) return worker_failure("(connection lost)");
    std::string payload;
    if (worker_->next_frame(-1, &payload) != WorkerProcess::Event::Frame)
        return worker_failure("while answering a request");
    auto ack = protocol::decode_ack(payload);
    if (!ack) return worker_failure("sent a malformed reply");
    if (ack->status != TACH_OK) return fail(static_cast<int>(ack->status), ack->message);
    return TACH_OK;
}

// A replacement worker must collect exactly what the first one did, or the
// node ids the caller holds would no longer mean the same tests.
int Engine::ensure_worker() {
    if (worker_) return TACH_OK;
    protocol::Collected collected;
    int status = start_worker(&collected);
    if (status != TACH_OK) {
        error_ = "cannot replace the worker: " + error_;
        return status == TACH_ECOLLECT ? TACH_EWORKER : status;
    }
    if (collected.nodeids != nodeids_) {
        discard_worker();
        return fail(TACH_EWORKER,
                    "cannot replace the worker: the project now collects different tests "
                    "(were files changed during the run?)");
    }
    if (snapshotted_) return request_ack(protocol::MessageType::Snapshot);
    return TACH_OK;
}

int Engine::snapshot() {
    if (failed_) return fail(TACH_EMISUSE, "tach_snapshot: the engine failed to initialise");
    if (snapshotted_) return TACH_OK;
    if (int status = ensure_worker(); status != TACH_OK) return status;
    if (int status = request_ack(protocol::MessageType::Snapshot); status != TACH_OK) return status;
    snapshotted_ = true;
    return TACH_OK;
}

int Engine::restore() {
    if (failed_) return fail(TACH_EMISUSE, "tach_restore: the engine failed to initialise");
    if (!snapshotted_) return fail(TACH_EMISUSE, "tach_restore: call tach_snapshot first");
    if (!dirty_) return TACH_OK;
    if (int status = request_ack(protocol::MessageType::Restore); status != TACH_OK) return status;
    dirty_ = false;
    return TACH_OK;
}

protocol::Result Engine::run_on_worker(const std::string &nodeid, int *status) {
    *status = TACH_OK;
    protocol::Result result;
    result.nodeid = nodeid;
    worker_->take_stderr();  // only this test's output counts
    if (worker_->send(protocol::encode(protocol::Run{nodeid})) != 0) {
        *status = worker_failure("before the test could be sent");
        return result;
    }

    const double start = monotonic_seconds();
    double deadline = -1;
    pid_t test_pid = -1;
    enum class Stage { Running, Dumping, Killed } stage = Stage::Running;
    double dump_started = 0;
    std::size_t traceback_size = 0;
    std::string payload;
    for (;;) {
        auto event = worker_->next_frame(deadline, &payload);
        if (event == WorkerProcess::Event::Frame) {
            auto type = protocol::payload_type(payload);
            if (type == protocol::MessageType::Started) {
                auto started = protocol::decode_started(payload);
                if (!started) break;
                test_pid = static_cast<pid_t>(started->pid);
                if (options_.timeout_seconds > 0) deadline = monotonic_seconds() + options_.timeout_seconds;
                continue;
            }
            if (type == protocol::MessageType::Result) {
                auto got = protocol::decode_result(payload);
                if (!got) break;
                result = std::move(*got);
                if (stage != Stage::Running) {
                    // The zygote saw its child die of our SIGKILL.
                    result.outcome = protocol::Outcome::Timeout;
                    result.longrepr = "test exceeded the timeout of " + seconds_text(options_.timeout_seconds) +
                                      " and was killed; where it was:\n" + worker_->traceback_text();
                    result.message = "timeout after " + seconds_text(options_.timeout_seconds);
                }
                if (result.outcome == protocol::Outcome::Crashed ||
                    result.outcome == protocol::Outcome::Timeout)
                    result.stderr_text += worker_->take_stderr();
                return result;
            }
            break;  // anything else is a protocol violation
        }
        if (event == WorkerProcess::Event::Timeout) {
            if (stage == Stage::Running) {
                ::kill(test_pid, SIGUSR2);
                stage = Stage::Dumping;
                dump_started = monotonic_seconds();
                deadline = monotonic_seconds() + 0.05;
                continue;
            }
            if (stage == Stage::Dumping) {
                // Give faulthandler until its output stops growing.
                std::size_t size = worker_->traceback_size();
                bool settled = size > 0 && size == traceback_size;
                traceback_size = size;
                if (!settled && monotonic_seconds() < dump_started + kTracebackGraceSeconds) {
                    deadline = monotonic_seconds() + 0.05;
                    continue;
                }
                ::kill(test_pid, SIGKILL);
                stage = Stage::Killed;
                deadline = monotonic_seconds() + kReportAfterKillSeconds;
                continue;
            }
            // The zygote did not report its killed child: it is stuck too.
            break;
        }
        // Eof / malformed / protocol violation: the process running the test
        // (none mode) or the zygote died.  The test is blamed for it.
        std::string stderr_text = worker_->take_stderr();
        std::string traceback = worker_->traceback_text();
        int wait_status = worker_->kill_and_reap();
        worker_.reset();
        result.duration = monotonic_seconds() - start;
        result.phase = "call";
        result.stderr_text = stderr_text;
        if (stage != Stage::Running) {
            result.outcome = protocol::Outcome::Timeout;
            result.signal = SIGKILL;
            result.message = "timeout after " + seconds_text(options_.timeout_seconds);
            result.longrepr = "test exceeded the timeout of " + seconds_text(options_.timeout_seconds) +
                              " and was killed; where it was:\n" + traceback;
        } else {
            result.outcome = protocol::Outcome::Crashed;
            if (wait_status >= 0 && WIFSIGNALED(wait_status)) result.signal = WTERMSIG(wait_status);
            if (wait_status >= 0 && WIFEXITED(wait_status)) result.exit_status = WEXITSTATUS(wait_status);
            result.message = "worker " + describe_wait_status(wait_status) + " while running the test";
            result.longrepr = result.message;
            if (event == WorkerProcess::Event::Malformed || event == WorkerProcess::Event::Frame)
                result.longrepr += " (after sending a malformed message)";
        }
        return result;
    }
    // Protocol violation or a zygote that hangs: replace the worker.
    std::string stderr_text = worker_->take_stderr();
    worker_->kill_and_reap();
    worker_.reset();
    result.duration = monotonic_seconds() - start;
    result.outcome = stage != Stage::Running ? protocol::Outcome::Timeout : protocol::Outcome::Crashed;
    result.message = stage != Stage::Running ? "timeout; the worker did not recover and was replaced"
                                             : "the worker broke the protocol and was replaced";
    result.longrepr = result.message;
    result.stderr_text = stderr_text;
    return result;
}

int Engine::run_test(const std::string &nodeid, std::unique_ptr<TestRun> *out) {
    if (failed_) return fail(TACH_EMISUSE, "tach_run_test: the engine failed to initialise");
    if (!snapshotted_) return fail(TACH_EMISUSE, "tach_run_test: call tach_snapshot before running tests");
    if (index_.find(nodeid) == index_.end())
        return fail(TACH_ENOTFOUND, "tach_run_test: '" + nodeid + "' is not a collected test");
    if (int status = ensure_worker(); status != TACH_OK) return status;
    if (dirty_) {
        if (int status = restore(); status != TACH_OK) return status;
    }
    int status = TACH_OK;
    auto result = std::make_unique<TestRun>();
    result->result = run_on_worker(nodeid, &status);
    if (status != TACH_OK) return status;
    if (!worker_) {
        // The process that ran the test died with it: the next test gets a
        // fresh worker.
        result->restore.replaced = true;
        result->restore.replace_reason = "the worker died with the test";
    }
    *out = std::move(result);
    return TACH_OK;
}

}  // namespace tach
