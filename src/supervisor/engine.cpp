#include "supervisor/engine.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

#include "common/utf8_repair.hpp"
#include "coverage/report.hpp"

namespace tach {
namespace {

// How long a new worker may take to say hello (Python is not started yet).
constexpr double kHelloSeconds = 30.0;
// A Hello is 9 bytes; a first frame announcing more is not one.
constexpr std::uint32_t kMaxHelloFrame = 64;
// After SIGUSR2, how long faulthandler gets to write the stuck test's stack.
constexpr double kTracebackGraceSeconds = 2.0;
// After SIGKILL of a test child, how long the zygote gets to report it.
constexpr double kReportAfterKillSeconds = 10.0;
// How long a worker may take to exit after Shutdown.
constexpr double kShutdownSeconds = 2.0;
// How long a snapshot runner may take to restore itself after a test (it
// takes milliseconds; one that does not answer is stuck).
constexpr double kRestoreSeconds = 60.0;

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

// A test whose worker (or lane) broke the protocol or hung past its
// timeout and was replaced: the result says so.
void replaced_after(TestRun &run, double start, bool timed_out, std::string message, std::string stderr_text) {
    run.result.duration = monotonic_seconds() - start;
    run.result.outcome = timed_out ? protocol::Outcome::Timeout : protocol::Outcome::Crashed;
    run.result.message = std::move(message);
    run.result.longrepr = run.result.message;
    run.result.stderr_text = std::move(stderr_text);
    run.restore.replaced = true;
    run.restore.replace_reason = run.result.message;
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
    // A worker that is still running did not die: tach stops it (it broke
    // the protocol or hangs), and the message must not blame a signal.
    std::optional<int> exited = worker_ ? worker_->wait_exit(0.2) : std::nullopt;
    std::string stderr_text = worker_ ? worker_->take_stderr() : std::string();
    int status = worker_ ? worker_->kill_and_reap() : -1;
    worker_.reset();
    std::string how = exited ? describe_wait_status(status) : "(stopped by tach)";
    return fail(TACH_EWORKER, with_output("worker " + how + " " + what, stderr_text));
}

void Engine::discard_worker() { worker_.reset(); }

int Engine::start_worker(protocol::Collected *collected) {
    std::string error;
    if (abort_.aborted()) return fail(TACH_ESHUTDOWN, "tach_shutdown was called: no worker is started any more");
    WorkerExtras extras;
    extras.debugger = options_.debugger;
    extras.max_memory = options_.max_worker_memory;
    extras.sandbox = options_.sandbox;
    extras.abort = &abort_;
    if (WorkerProcess::start(options_.worker_path, &worker_, &error, extras) != 0)
        return fail(TACH_EWORKER, error);
    ++generation_;  // lanes of an earlier zygote died with it
    live_lanes_.clear();
    exits_.clear();

    std::string payload;
    worker_->control().set_max_frame(kMaxHelloFrame);  // garbage is refused at once
    auto event = worker_->next_frame(monotonic_seconds() + kHelloSeconds, &payload);
    if (event == WorkerProcess::Event::Timeout) return worker_failure("did not start within 30 s");
    if (event == WorkerProcess::Event::Malformed) return worker_failure("after sending a malformed hello (not a tach-worker?)");
    if (event != WorkerProcess::Event::Frame) return worker_failure("before saying hello");
    auto hello = protocol::decode_hello(payload);
    if (!hello) return worker_failure("sent a malformed hello");
    worker_->control().set_max_frame(protocol::kMaxFrame);
    if (hello->version != protocol::kVersion)
        return worker_failure("speaks protocol " + std::to_string(hello->version) + ", the library " +
                              std::to_string(protocol::kVersion) + " (mismatched installation)");

    protocol::Init init;
    init.project_root = options_.project_root;
    init.python = options_.python;
    init.shim_dir = options_.shim_dir;
    // AUTO may become snapshot: the zygote must be ready to fork runners.
    init.isolation = static_cast<std::uint32_t>(
        options_.isolation == TACH_ISOLATION_AUTO ? TACH_ISOLATION_SNAPSHOT : options_.isolation);
    init.args = options_.args;
    init.coverage = options_.coverage ? 1 : 0;
    init.sources = options_.coverage_sources;
    init.paths = collect_paths_;
    init.keep_base = options_.keep_collection_base ? 1 : 0;
    if (worker_->send(protocol::encode(init)) != 0) return worker_failure("before it could be initialised");
    return receive_collection(collected);
}

// The Collected report of a new zygote (after Init or Recollect).
int Engine::receive_collection(protocol::Collected *collected) {
    // Collection has no time limit: large projects import for minutes.
    std::string payload;
    auto event = worker_->next_frame(-1, &payload);
    if (event == WorkerProcess::Event::Malformed)
        return worker_failure("after sending a malformed frame while collecting tests");
    if (event != WorkerProcess::Event::Frame) return worker_failure("while collecting tests");
    return accept_collection(payload, collected);
}

int Engine::accept_collection(const std::string &payload, protocol::Collected *collected) {
    auto got = protocol::decode_collected(payload);
    if (!got) return worker_failure("sent a malformed collection report");
    if (got->status != TACH_OK) {
        std::string stderr_text = worker_->take_stderr();
        worker_.reset();
        // pytest's own message already says everything for usage errors;
        // otherwise what the worker printed may say why.
        int status = static_cast<int>(got->status);
        // Only the statuses a worker reports; anything else is its failure.
        if (got->status > static_cast<std::uint32_t>(TACH_EUNSUPPORTED)) status = TACH_EWORKER;
        repair_utf8(got->message);
        return fail(status, status == TACH_ECOLLECT ? got->message : with_output(got->message, stderr_text));
    }
    // The node ids and texts reach the caller as UTF-8 (tach.h).
    for (auto &id : got->nodeids) repair_utf8(id);
    for (auto &e : got->errors) {
        repair_utf8(e.nodeid);
        repair_utf8(e.text);
    }
    for (auto &pattern : got->python_files) repair_utf8(pattern);
    repair_utf8(got->python_version);
    repair_utf8(got->pytest_version);
    *collected = std::move(*got);
    return TACH_OK;
}

int Engine::init() {
    std::lock_guard<std::recursive_mutex> lock(control_mutex_);
    protocol::Collected collected;
    int status = start_worker(&collected);
    if (status != TACH_OK) {
        failed_ = true;
        return status;
    }
    adopt_collection(std::move(collected));
    return TACH_OK;
}

void Engine::adopt_collection(protocol::Collected collected) {
    python_version_ = collected.python_version;
    pytest_version_ = collected.pytest_version;
    nodeids_ = std::move(collected.nodeids);
    collect_errors_ = std::move(collected.errors);
    interrupts_ = collected.interrupts != 0;
    deselected_ = collected.deselected;
    python_files_ = std::move(collected.python_files);
    index_.clear();
    for (std::size_t i = 0; i < nodeids_.size(); ++i) index_.emplace(nodeids_[i], i);
    {
        std::lock_guard<std::mutex> coverage_lock(coverage_mutex_);
        coverage_ = coverage::CoverageData();
        coverage_.root = options_.project_root;
    }
    add_coverage(collected.coverage, coverage::kCollectionContext);
}

int Engine::recollect(std::vector<std::string> paths, bool *reused) {
    std::lock_guard<std::recursive_mutex> lock(control_mutex_);
    *reused = false;
    recollect_reason_.clear();
    if (failed_) return fail(TACH_EMISUSE, "tach_recollect: the engine failed to initialise");
    // Lanes are the old zygote's children (the API refuses open runners;
    // this also covers one opened meanwhile from another thread).
    if (!live_lanes_.empty())
        return fail(TACH_EMISUSE, "tach_recollect: a tach_runner of this engine is still open; close it first");
    // A path pytest would refuse is refused here, before anything changes
    // (pytest takes them from the project root; a node id's file counts).
    // With --pyargs they may be module names: pytest judges those.
    const bool pyargs = std::find(options_.args.begin(), options_.args.end(), "--pyargs") != options_.args.end();
    for (const std::string &path : pyargs ? std::vector<std::string>() : paths) {
        const std::string file = path.substr(0, path.find("::"));
        std::error_code ec;
        if (!std::filesystem::exists(std::filesystem::path(options_.project_root) / file, ec))
            return fail(TACH_ENOTFOUND, "tach_recollect: " + file + ": no such file or directory under " +
                                            options_.project_root);
    }
    collect_paths_ = std::move(paths);
    // As after tach_init: the next tach_snapshot settles the mode again.
    runner_.reset();
    runner_pid_ = -1;
    snapshotted_ = false;
    effective_ = TACH_ISOLATION_AUTO;
    isolation_reason_.clear();
    golden_description_.clear();

    protocol::Collected collected;
    if (!options_.keep_collection_base) {
        recollect_reason_ = "the engine was started without keep_collection_base";
    } else if (!worker_) {
        recollect_reason_ = "the worker had ended";
    } else if (worker_->send(protocol::encode(protocol::Recollect{collect_paths_})) != 0) {
        recollect_reason_ = "the worker had ended";
    } else {
        // Ack: the parked state is out of date (why); Collected: the next
        // zygote collected from it.  Ends of runners come first.
        std::string payload;
        WorkerProcess::Event event;
        while ((event = worker_->next_frame(-1, &payload)) == WorkerProcess::Event::Frame &&
               protocol::payload_type(payload) == protocol::MessageType::RunnerExited) {
        }
        if (event == WorkerProcess::Event::Frame && protocol::payload_type(payload) == protocol::MessageType::Ack) {
            auto ack = protocol::decode_ack(payload);
            recollect_reason_ = ack ? ack->message : "the worker sent a malformed reply";
            repair_utf8(recollect_reason_);
        } else if (event == WorkerProcess::Event::Frame) {
            // The same socket now belongs to the new zygote.
            const int status = accept_collection(payload, &collected);
            if (status != TACH_OK) {
                failed_ = true;
                return status;
            }
            ++generation_;
            live_lanes_.clear();
            exits_.clear();
            adopt_collection(std::move(collected));
            *reused = true;
            return TACH_OK;
        } else {
            recollect_reason_ = "the worker ended while collecting again";
        }
    }
    // A new worker, as tach_init starts one (with the new paths).
    discard_worker();
    int status = start_worker(&collected);
    if (status != TACH_OK) {
        failed_ = true;
        return status;
    }
    adopt_collection(std::move(collected));
    return TACH_OK;
}

void Engine::add_coverage(const std::vector<protocol::FileLines> &files, const std::string &context) {
    if (!options_.coverage) return;
    std::lock_guard<std::mutex> lock(coverage_mutex_);
    for (const auto &f : files) coverage_.add_executed(f.path, f.lines, context);
}

int Engine::request_ack(const std::string &frame) {
    if (worker_->send(frame) != 0) return worker_failure("(connection lost)");
    std::string payload;
    for (;;) {
        if (worker_->next_frame(-1, &payload) != WorkerProcess::Event::Frame)
            return worker_failure("while answering a request");
        if (protocol::payload_type(payload) != protocol::MessageType::RunnerExited) break;
        stash_exit(payload);
    }
    auto ack = protocol::decode_ack(payload);
    if (!ack) return worker_failure("sent a malformed reply");
    if (ack->status != TACH_OK) {
        repair_utf8(ack->message);
        return fail(ack->status > static_cast<std::uint32_t>(TACH_EUNSUPPORTED) ? TACH_EWORKER
                                                                              : static_cast<int>(ack->status),
                    ack->message);
    }
    return TACH_OK;
}

// A replacement worker must collect exactly what the first one did, or the
// node ids the caller holds would no longer mean the same tests.
int Engine::ensure_worker() {
    if (worker_) return TACH_OK;
    runner_.reset();
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
    // The same imports again: the collection context is a set, unchanged
    // unless the replacement ran different module-level code.
    add_coverage(collected.coverage, coverage::kCollectionContext);
    if (snapshotted_ && effective_ != TACH_ISOLATION_SNAPSHOT)
        return request_ack(protocol::encode(protocol::Snapshot{static_cast<std::uint32_t>(effective_)}));
    return TACH_OK;
}

// Asks the zygote for a snapshot runner and waits until it has taken its
// golden image.  TACH_EUNSUPPORTED (with the runner's reason) when in-place
// restore is not possible here.
int Engine::ensure_runner() {
    if (runner_) return TACH_OK;
    if (int status = ensure_worker(); status != TACH_OK) return status;
    if (worker_->send(protocol::encode(protocol::Snapshot{TACH_ISOLATION_SNAPSHOT})) != 0)
        return worker_failure("(connection lost)");
    std::string payload;
    for (;;) {
        if (worker_->next_frame(-1, &payload) != WorkerProcess::Event::Frame)
            return worker_failure("while starting a snapshot runner");
        auto type = protocol::payload_type(payload);
        if (type == protocol::MessageType::RunnerExited) {  // an earlier runner's or a lane's end
            stash_exit(payload);
            continue;
        }
        auto ready = type == protocol::MessageType::RunnerReady ? protocol::decode_runner_ready(payload)
                                                                 : std::nullopt;
        if (!ready) return worker_failure("sent an unexpected reply to a snapshot request");
        runner_pid_ = static_cast<pid_t>(ready->pid);
        break;
    }
    UniqueFd fd = worker_->control().take_received_fd();
    if (!fd) return worker_failure("did not pass the snapshot runner's socket");
    runner_.emplace(std::move(fd));
    auto event = worker_->next_frame(*runner_, -1, &payload);
    std::optional<protocol::Ack> ack;
    if (event == WorkerProcess::Event::Frame) {
        if (protocol::payload_type(payload) == protocol::MessageType::Restored) {
            // The runner refused: it reports why in a Restored frame and exits.
            auto refused = protocol::decode_restored(payload);
            runner_.reset();
            return fail(TACH_EUNSUPPORTED, refused ? refused->reason : "the snapshot runner failed");
        }
        ack = protocol::decode_ack(payload);
    }
    if (!ack) {
        runner_.reset();
        return fail(TACH_EUNSUPPORTED, "the snapshot runner died before taking its golden image");
    }
    golden_description_ = ack->message;
    return TACH_OK;
}

int Engine::snapshot() {
    std::lock_guard<std::recursive_mutex> lock(control_mutex_);
    if (failed_) return fail(TACH_EMISUSE, "tach_snapshot: the engine failed to initialise");
    if (snapshotted_) return TACH_OK;
    if (int status = ensure_worker(); status != TACH_OK) return status;
    if (options_.isolation == TACH_ISOLATION_AUTO || options_.isolation == TACH_ISOLATION_SNAPSHOT) {
        int status = ensure_runner();
        if (status == TACH_OK) {
            effective_ = TACH_ISOLATION_SNAPSHOT;
            isolation_reason_ = "in-place restore after each test (" + golden_description_ + ")";
        } else if (status == TACH_EUNSUPPORTED && options_.isolation == TACH_ISOLATION_AUTO) {
            effective_ = TACH_ISOLATION_FORK;
            isolation_reason_ = "fork per test: snapshot isolation is unavailable here: " + error_;
            error_.clear();
        } else {
            return status;
        }
    } else {
        effective_ = options_.isolation;
        isolation_reason_ = effective_ == TACH_ISOLATION_FORK ? "fork per test (requested)"
                                                              : "no isolation: tests share one interpreter (requested)";
    }
    if (effective_ != TACH_ISOLATION_SNAPSHOT) {
        if (int status = request_ack(protocol::encode(protocol::Snapshot{static_cast<std::uint32_t>(effective_)}));
            status != TACH_OK)
            return status;
    }
    snapshotted_ = true;
    return TACH_OK;
}

int Engine::restore() {
    if (failed_) return fail(TACH_EMISUSE, "tach_restore: the engine failed to initialise");
    if (!snapshotted_) return fail(TACH_EMISUSE, "tach_restore: call tach_snapshot first");
    // Fork mode never touches the zygote, none mode keeps effects by
    // definition, and a snapshot runner restores itself after every test
    // (tach_run_test waits for that).  Nothing is left to do.
    return TACH_OK;
}

std::string Engine::timeout_text(const std::string &traceback) const {
    return "test exceeded the timeout of " + seconds_text(options_.timeout_seconds) +
           " and was killed; where it was:\n" + traceback;
}

// The process that ran the test died before the test's result arrived.
void Engine::blame_test_for_death(TestRun &run, bool timed_out, int wait_status, double start,
                                  const std::string &traceback) {
    protocol::Result &result = run.result;
    result.duration = monotonic_seconds() - start;
    result.phase = "call";
    if (timed_out) {
        result.outcome = protocol::Outcome::Timeout;
        result.signal = SIGKILL;
        result.message = "timeout after " + seconds_text(options_.timeout_seconds);
        result.longrepr = timeout_text(traceback);
    } else {
        result.outcome = protocol::Outcome::Crashed;
        if (wait_status >= 0 && WIFSIGNALED(wait_status)) result.signal = WTERMSIG(wait_status);
        if (wait_status >= 0 && WIFEXITED(wait_status)) result.exit_status = WEXITSTATUS(wait_status);
        result.message = "test process " + describe_wait_status(wait_status) + " while running the test";
        result.longrepr = result.message;
    }
}

// A runner's end reported on the zygote's channel while waiting for
// something else: kept if a lane will ask for it, else dropped.
void Engine::stash_exit(const std::string &payload) {
    auto exited = protocol::decode_runner_exited(payload);
    if (!exited) return;
    pid_t pid = static_cast<pid_t>(exited->pid);
    if (live_lanes_.count(pid)) exits_[pid] = std::move(*exited);
}

// Waits (briefly) for the zygote to report how the snapshot runner or lane
// `pid` ended, with what the dying test had written (into run's
// stdout/stderr).
int Engine::runner_wait_status(pid_t pid, TestRun *run) {
    std::lock_guard<std::recursive_mutex> lock(control_mutex_);
    std::string payload;
    double deadline = monotonic_seconds() + kReportAfterKillSeconds;
    for (;;) {
        auto found = exits_.find(pid);
        if (found != exits_.end()) {
            run->result.stdout_text = std::move(found->second.stdout_text);
            run->result.stderr_text = std::move(found->second.stderr_text);
            int status = found->second.wait_status;
            exits_.erase(found);
            return status;
        }
        if (!worker_) return -1;
        auto event = worker_->next_frame(deadline, &payload);
        if (event == WorkerProcess::Event::Eof || event == WorkerProcess::Event::Malformed) {
            // The zygote itself is gone: every lane with it.
            worker_failure("while a runner ended");
            return -1;
        }
        if (event != WorkerProcess::Event::Frame) return -1;
        auto exited = protocol::decode_runner_exited(payload);
        if (!exited) continue;
        if (static_cast<pid_t>(exited->pid) == pid) {
            run->result.stdout_text = std::move(exited->stdout_text);
            run->result.stderr_text = std::move(exited->stderr_text);
            repair_utf8(run->result.stdout_text);
            repair_utf8(run->result.stderr_text);
            return exited->wait_status;
        }
        stash_exit(payload);
    }
}

// Runs one test on the implicit runner (lane == nullptr: the snapshot
// runner, or the zygote itself in fork/none isolation) or on a lane.
TestRun Engine::run_once(Lane *lane, const std::string &nodeid, int *status) {
    *status = TACH_OK;
    TestRun run;
    run.result.nodeid = nodeid;
    // Whether a Restored frame follows the result.
    const bool restores = effective_ == TACH_ISOLATION_SNAPSHOT;
    // Whether the test runs in a process of its own whose end the zygote
    // reports (a snapshot runner or a lane), rather than in the zygote.
    const bool in_runner = lane || restores;
    WorkerProcess &proc = lane ? *lane->process : *worker_;
    Channel &channel = lane ? proc.control() : restores ? *runner_ : worker_->control();
    const bool on_zygote_channel = !lane && !restores;
    const pid_t runner_pid = lane ? lane->pid : runner_pid_;
    const auto drop_runner = [&] {
        if (lane) {
            lane->process.reset();
        } else {
            runner_.reset();
        }
    };
    proc.take_stderr();  // only this test's output counts
    proc.end_debug_session();
    protocol::Run request{nodeid, static_cast<std::uint32_t>(effective_)};
    if (channel.send(protocol::encode(request)) != 0) {
        if (in_runner) {
            drop_runner();
            run.restore.replaced = true;
            run.restore.replace_reason = lane ? "the lane was gone before the test"
                                              : "the snapshot runner was gone before the test";
            blame_test_for_death(run, false, runner_wait_status(runner_pid, &run), monotonic_seconds(), "");
            return run;
        }
        *status = worker_failure("before the test could be sent");
        return run;
    }

    const double start = monotonic_seconds();
    // With a time limit, the worker's Started (sent at once) is due within
    // it too: a worker that never answers must not hang the host.
    double deadline = options_.timeout_seconds > 0 ? start + options_.timeout_seconds : -1;
    pid_t test_pid = -1;
    enum class Stage { Running, Dumping, Killed } stage = Stage::Running;
    double dump_started = 0;
    std::size_t traceback_size = 0;
    bool have_result = false;
    std::string payload;
    for (;;) {
        auto event = proc.next_frame(channel, deadline, &payload);
        if (event == WorkerProcess::Event::Frame) {
            auto type = protocol::payload_type(payload);
            if (type == protocol::MessageType::RunnerExited && on_zygote_channel) {
                stash_exit(payload);  // a lane's end, reported meanwhile
                continue;
            }
            if (type == protocol::MessageType::Started && !have_result) {
                auto started = protocol::decode_started(payload);
                if (!started) break;
                test_pid = static_cast<pid_t>(started->pid);
                if (options_.timeout_seconds > 0) deadline = monotonic_seconds() + options_.timeout_seconds;
                continue;
            }
            if (type == protocol::MessageType::Result && !have_result) {
                auto got = protocol::decode_result(payload);
                // A result for another test than the one asked for is a
                // protocol violation: each test gets exactly one result.
                if (!got || got->nodeid != nodeid) break;
                for (std::string *text : {&got->phase, &got->longrepr, &got->message, &got->stdout_text,
                                          &got->stderr_text, &got->teardown_longrepr, &got->teardown_message})
                    repair_utf8(*text);
                if (!std::isfinite(got->duration) || got->duration < 0) got->duration = monotonic_seconds() - start;
                run.result = std::move(*got);
                if (stage != Stage::Running) {
                    // The zygote saw its child die of our SIGKILL.
                    run.result.outcome = protocol::Outcome::Timeout;
                    run.result.longrepr = timeout_text(proc.traceback_text());
                    run.result.message = "timeout after " + seconds_text(options_.timeout_seconds);
                }
                if (run.result.outcome == protocol::Outcome::Crashed ||
                    run.result.outcome == protocol::Outcome::Timeout)
                    run.result.stderr_text += proc.take_stderr();
                if (!restores) return run;
                have_result = true;
                deadline = monotonic_seconds() + kRestoreSeconds;  // restoring is not the test's time
                continue;
            }
            if (type == protocol::MessageType::Restored && restores && have_result) {
                auto restored = protocol::decode_restored(payload);
                if (!restored) break;
                run.restore.pages = restored->pages;
                run.restore.seconds = restored->seconds;
                if (restored->status != TACH_OK) {
                    run.restore.replaced = true;
                    run.restore.replace_reason = restored->reason;
                    repair_utf8(run.restore.replace_reason);
                    drop_runner();  // it exits; the zygote reports that later
                }
                return run;
            }
            break;  // anything else is a protocol violation
        }
        if (event == WorkerProcess::Event::Timeout) {
            if (have_result) {
                // The runner never finished restoring: the test's result
                // stands, the runner (a lane: only that lane) is replaced.
                if (lane) {
                    lane->process.reset();
                } else {
                    worker_->kill_and_reap();
                    worker_.reset();
                    runner_.reset();
                }
                run.restore.replaced = true;
                run.restore.replace_reason = "the snapshot runner did not finish restoring within " +
                                             seconds_text(kRestoreSeconds) + " and was replaced";
                return run;
            }
            if (stage == Stage::Running && proc.debug_session_active()) {
                // The test entered the debugger: someone is (or was) at its
                // prompt, so its time limit no longer applies.
                deadline = -1;
                continue;
            }
            if (stage == Stage::Running && test_pid <= 0) {
                stage = Stage::Killed;  // reported as a timeout by the violation path below
                break;
            }
            if (stage == Stage::Running) {
                ::kill(test_pid, SIGUSR2);
                stage = Stage::Dumping;
                dump_started = monotonic_seconds();
                deadline = dump_started + 0.05;
                continue;
            }
            if (stage == Stage::Dumping) {
                // Give faulthandler until its output stops growing.
                std::size_t size = proc.traceback_size();
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
            break;  // the zygote did not report its killed child: it is stuck too
        }
        if (in_runner) {
            // The runner died: it ran the test (crash, timeout) or was
            // restoring.  The zygote reports how it ended.
            std::string stderr_text = proc.take_stderr();
            std::string traceback = proc.traceback_text();
            drop_runner();
            TestRun exited;
            int wait_status = runner_wait_status(runner_pid, &exited);
            run.restore.replaced = true;
            if (have_result) {
                run.restore.replace_reason = "the snapshot runner " + describe_wait_status(wait_status) +
                                             " while restoring";
                return run;
            }
            blame_test_for_death(run, stage != Stage::Running, wait_status, start, traceback);
            // What the test wrote before dying (pytest's capture files,
            // read by the zygote), then what reached the worker's stderr.
            run.result.stdout_text = exited.result.stdout_text;
            run.result.stderr_text = exited.result.stderr_text + stderr_text;
            run.restore.replace_reason = stage != Stage::Running ? "the test timed out" : "the test crashed the runner";
            return run;
        }
        // Eof / malformed: the process running the test (none mode) or the
        // zygote died.  The test is blamed for it.
        std::string stderr_text = worker_->take_stderr();
        std::string traceback = worker_->traceback_text();
        worker_->wait_exit(0.2);  // its own exit status, if it is exiting
        int wait_status = worker_->kill_and_reap();
        worker_.reset();
        blame_test_for_death(run, stage != Stage::Running, wait_status, start, traceback);
        run.result.stderr_text = stderr_text;
        if (event == WorkerProcess::Event::Malformed) run.result.longrepr += " (after sending a malformed message)";
        run.restore.replaced = true;
        run.restore.replace_reason = "the worker died with the test";
        return run;
    }
    // Protocol violation or a worker that hangs: replace the whole worker
    // (a lane: only that lane).
    const bool timed_out = stage != Stage::Running;
    if (lane) {
        std::string stderr_text = proc.take_stderr();
        lane->process.reset();
        replaced_after(run, start, timed_out,
                       timed_out ? "timeout; the lane did not recover and was replaced"
                                 : "the lane broke the protocol and was replaced",
                       std::move(stderr_text));
        return run;
    }
    std::string stderr_text = worker_->take_stderr();
    worker_->kill_and_reap();
    worker_.reset();
    runner_.reset();
    replaced_after(run, start, timed_out,
                   test_pid <= 0 && timed_out ? "the worker did not start the test within " +
                                                    seconds_text(options_.timeout_seconds) + " and was replaced"
                   : timed_out                ? "timeout; the worker did not recover and was replaced"
                                              : "the worker broke the protocol and was replaced",
                   std::move(stderr_text));
    return run;
}

int Engine::run_test(const std::string &nodeid, std::unique_ptr<TestRun> *out) {
    std::lock_guard<std::recursive_mutex> lock(control_mutex_);
    if (failed_) return fail(TACH_EMISUSE, "tach_run_test: the engine failed to initialise");
    if (!snapshotted_) return fail(TACH_EMISUSE, "tach_run_test: call tach_snapshot before running tests");
    if (index_.find(nodeid) == index_.end())
        return fail(TACH_ENOTFOUND, "tach_run_test: '" + nodeid + "' is not a collected test");
    int status = effective_ == TACH_ISOLATION_SNAPSHOT ? ensure_runner() : ensure_worker();
    if (status != TACH_OK) return status;
    auto run = std::make_unique<TestRun>(run_once(nullptr, nodeid, &status));
    if (abort_.aborted())
        return fail(TACH_ESHUTDOWN, "tach_run_test: tach_shutdown was called from another thread; the test was stopped");
    if (status != TACH_OK) return status;
    // Crashed and timed-out tests carry no lines: what they recorded died
    // with their process.
    add_coverage(run->result.coverage, nodeid);
    *out = std::move(run);
    return TACH_OK;
}

// Forks a lane from the zygote (under the zygote's lock), then waits
// without the lock until it is ready to serve.  Messages go to lane.error.
int Engine::start_lane(Lane &lane) {
    lane.process.reset();
    {
        std::lock_guard<std::recursive_mutex> lock(control_mutex_);
        // Whatever fails here is the lane's failure, not the last
        // engine-level call's: the engine's message is kept as it was.
        std::string engine_error = error_;
        const auto lane_failure = [&](int status) {
            lane.error = error_;
            error_ = engine_error;
            return status;
        };
        if (lane.pid > 0) {
            live_lanes_.erase(lane.pid);
            exits_.erase(lane.pid);
        }
        if (int status = ensure_worker(); status != TACH_OK) return lane_failure(status);
        if (worker_->send(protocol::encode(protocol::OpenLane{static_cast<std::uint32_t>(effective_)})) != 0)
            return lane_failure(worker_failure("(connection lost)"));
        std::string payload;
        std::optional<protocol::RunnerReady> ready;
        // Forking is quick; a zygote that does not answer is stuck (or
        // does not know lanes).
        const double deadline = monotonic_seconds() + kHelloSeconds;
        for (;;) {
            auto event = worker_->next_frame(deadline, &payload);
            if (event == WorkerProcess::Event::Timeout)
                return lane_failure(worker_failure("did not start a lane within 30 s"));
            if (event != WorkerProcess::Event::Frame)
                return lane_failure(worker_failure("while starting a lane"));
            auto type = protocol::payload_type(payload);
            if (type == protocol::MessageType::RunnerExited) {
                stash_exit(payload);
                continue;
            }
            if (type == protocol::MessageType::RunnerReady) ready = protocol::decode_runner_ready(payload);
            if (!ready) return lane_failure(worker_failure("sent an unexpected reply to a lane request"));
            break;
        }
        UniqueFd socket = worker_->control().take_received_fd();
        UniqueFd stderr_read = worker_->control().take_received_fd();
        UniqueFd traceback = worker_->control().take_received_fd();
        UniqueFd debug = worker_->control().take_received_fd();  // only with the debugger relay
        if (!socket || !stderr_read || !traceback)
            return lane_failure(worker_failure("did not pass a lane's socket, stderr and traceback file"));
        lane.pid = static_cast<pid_t>(ready->pid);
        lane.generation = generation_;
        live_lanes_.insert(lane.pid);
        lane.process.emplace(
            WorkerProcess::adopt_lane(lane.pid, std::move(socket), std::move(stderr_read), std::move(traceback),
                                      std::move(debug)));
    }
    // A snapshot lane takes its golden image first; a fork or none lane
    // acks at once.  Either way it says so on its own socket.
    std::string payload;
    auto event = lane.process->next_frame(-1, &payload);
    std::optional<protocol::Ack> ack;
    if (event == WorkerProcess::Event::Frame) {
        if (protocol::payload_type(payload) == protocol::MessageType::Restored) {
            auto refused = protocol::decode_restored(payload);
            lane.process.reset();
            lane.error = "the lane cannot restore in place here: " +
                         (refused ? refused->reason : std::string("the snapshot runner failed"));
            return TACH_EUNSUPPORTED;
        }
        ack = protocol::decode_ack(payload);
    }
    if (!ack || ack->status != TACH_OK) {
        std::string stderr_text = lane.process->take_stderr();
        lane.process.reset();
        lane.error = with_output("the lane failed before it was ready" +
                                     (ack && !ack->message.empty() ? ": " + ack->message : std::string()),
                                 stderr_text);
        return TACH_EWORKER;
    }
    return TACH_OK;
}

int Engine::open_lane(std::unique_ptr<Lane> *out, std::string *message) {
    if (failed_) {
        *message = "tach_runner_open: the engine failed to initialise";
        return TACH_EMISUSE;
    }
    {
        std::lock_guard<std::recursive_mutex> lock(control_mutex_);
        if (!snapshotted_) {
            *message = "tach_runner_open: call tach_snapshot first";
            return TACH_EMISUSE;
        }
    }
    auto lane = std::make_unique<Lane>();
    int status = start_lane(*lane);
    if (status != TACH_OK) {
        *message = "tach_runner_open: " + lane->error;
        close_lane(*lane);
        return status;
    }
    *out = std::move(lane);
    return TACH_OK;
}

int Engine::run_in_lane(Lane &lane, const std::string &nodeid, std::unique_ptr<TestRun> *out) {
    // nodeids_, index_, effective_ and snapshotted_ do not change once a
    // lane exists: reading them needs no lock.
    if (index_.find(nodeid) == index_.end()) {
        lane.error = "tach_runner_run_test: '" + nodeid + "' is not a collected test";
        return TACH_ENOTFOUND;
    }
    if (!lane.process || lane.generation != generation_) {
        // Gone with its last test, or with the zygote: a fresh lane.
        if (int status = start_lane(lane); status != TACH_OK) {
            lane.error = "tach_runner_run_test: cannot replace the lane: " + lane.error;
            return status;
        }
    }
    int status = TACH_OK;
    auto run = std::make_unique<TestRun>(run_once(&lane, nodeid, &status));
    if (status != TACH_OK) return status;
    add_coverage(run->result.coverage, nodeid);
    *out = std::move(run);
    return TACH_OK;
}

void Engine::close_lane(Lane &lane) {
    if (lane.process) {
        // Ask it to leave; the kill that follows (lane.process's
        // destructor) covers a lane that is stuck.
        lane.process->send(protocol::encode_empty(protocol::MessageType::Shutdown));
        lane.process.reset();
    }
    std::lock_guard<std::recursive_mutex> lock(control_mutex_);
    if (lane.pid > 0) {
        live_lanes_.erase(lane.pid);
        exits_.erase(lane.pid);
    }
}

// Asks the zygote for the statements of every file with executed lines and
// of the unimported files under the sources.
int Engine::fetch_statements(std::vector<protocol::FileStatements> *out) {
    if (int status = ensure_worker(); status != TACH_OK) return status;
    protocol::Statements request;
    {
        std::lock_guard<std::mutex> coverage_lock(coverage_mutex_);
        for (const auto &[path, file] : coverage_.files) request.paths.push_back(path);
    }
    request.include_unimported = 1;
    if (worker_->send(protocol::encode(request)) != 0) return worker_failure("(connection lost)");
    std::string payload;
    for (;;) {
        if (worker_->next_frame(-1, &payload) != WorkerProcess::Event::Frame)
            return worker_failure("while listing statements for the coverage report");
        auto type = protocol::payload_type(payload);
        if (type == protocol::MessageType::RunnerExited) {  // an earlier runner's or a lane's end
            stash_exit(payload);
            continue;
        }
        if (type != protocol::MessageType::StatementLines) return worker_failure("sent an unexpected reply");
        break;
    }
    auto reply = protocol::decode_statement_lines(payload);
    if (!reply) return worker_failure("sent a malformed statement list");
    if (reply->status != TACH_OK) return fail(static_cast<int>(reply->status), reply->message);
    *out = std::move(reply->files);
    return TACH_OK;
}

namespace {

// Maps a line inside a multi-line statement to the statement's first line.
class FirstLines {
public:
    explicit FirstLines(const std::vector<std::uint32_t> &pairs) {
        for (std::size_t i = 0; i + 1 < pairs.size(); i += 2) spans_.emplace_back(pairs[i], pairs[i + 1]);
        std::sort(spans_.begin(), spans_.end());
    }
    std::uint32_t operator()(std::uint32_t line) const {
        auto it = std::upper_bound(spans_.begin(), spans_.end(), std::make_pair(line, UINT32_MAX));
        if (it == spans_.begin()) return line;
        --it;
        return line <= it->second ? it->first : line;
    }

private:
    std::vector<std::pair<std::uint32_t, std::uint32_t>> spans_;
};

}  // namespace

int Engine::write_coverage(int format, const std::string &path, bool with_contexts) {
    std::lock_guard<std::recursive_mutex> lock(control_mutex_);
    if (failed_) return fail(TACH_EMISUSE, "tach_coverage_write: the engine failed to initialise");
    if (!options_.coverage)
        return fail(TACH_EMISUSE, "tach_coverage_write: the engine was initialised without options.coverage");
    coverage::Format fmt;
    switch (format) {
    case TACH_COVERAGE_LCOV: fmt = coverage::Format::Lcov; break;
    case TACH_COVERAGE_COBERTURA: fmt = coverage::Format::Cobertura; break;
    case TACH_COVERAGE_JSON: fmt = coverage::Format::Json; break;
    case TACH_COVERAGE_TEXT: fmt = coverage::Format::Text; break;
    case TACH_COVERAGE_TEXT_MISSING: fmt = coverage::Format::TextMissing; break;
    default: return fail(TACH_EINVAL, "tach_coverage_write: unknown format " + std::to_string(format));
    }
    std::vector<protocol::FileStatements> statements;
    if (int status = fetch_statements(&statements); status != TACH_OK) return status;

    // The report's view: statements from the worker, executed lines moved
    // to the first line of their statement.
    std::lock_guard<std::mutex> coverage_lock(coverage_mutex_);
    coverage::CoverageData data;
    data.root = coverage_.root;
    std::map<std::string, const protocol::FileStatements *> by_path;
    for (const auto &f : statements) {
        data.add_statements(f.path, f.statements);
        by_path[f.path] = &f;
    }
    static const std::vector<std::uint32_t> kNone;
    for (const auto &[file_path, file] : coverage_.files) {
        auto found = by_path.find(file_path);
        FirstLines first(found != by_path.end() ? found->second->multiline : kNone);
        auto &target = data.files[file_path];
        for (const auto &[line, contexts] : file.executed)
            target.executed[first(line)].insert(contexts.begin(), contexts.end());
    }
    std::string text = coverage::render(data, fmt, with_contexts);

    FILE *out = std::fopen(path.c_str(), "wbe");
    if (!out) return fail(TACH_ERROR, "tach_coverage_write: cannot create " + path + ": " + std::strerror(errno));
    bool ok = std::fwrite(text.data(), 1, text.size(), out) == text.size();
    int write_errno = errno;
    if (std::fclose(out) != 0 && ok) {
        ok = false;
        write_errno = errno;
    }
    if (!ok) return fail(TACH_ERROR, "tach_coverage_write: cannot write " + path + ": " + std::strerror(write_errno));
    return TACH_OK;
}

}  // namespace tach
