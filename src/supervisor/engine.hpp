// The host side of one worker: starts it, collects, runs tests, enforces
// timeouts, turns crashes into results and replaces a dead worker.  Every
// method returns a tach_status and, on failure, leaves a message in
// error(); nothing throws except std::bad_alloc.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/protocol.hpp"
#include "coverage/coverage_data.hpp"
#include "supervisor/lane.hpp"
#include "supervisor/worker_process.hpp"
#include "tach.h"

namespace tach {

// What isolation did after one test (filled in by the engine).
struct RestoreInfo {
    std::uint64_t pages = 0;
    double seconds = 0;
    bool replaced = false;
    std::string replace_reason;
};

// One test's outcome as the engine returns it.
struct TestRun {
    protocol::Result result;
    RestoreInfo restore;
};

struct EngineOptions {
    std::string project_root;  // absolute
    std::vector<std::string> args;
    std::string python;        // "" = worker's default
    tach_isolation isolation = TACH_ISOLATION_AUTO;
    double timeout_seconds = 0;
    std::string worker_path;
    std::string shim_dir;
    bool coverage = false;
    std::vector<std::string> coverage_sources;  // absolute; the root by default
    std::uint64_t max_worker_memory = 0;        // bytes (RLIMIT_AS); 0 = none
    bool sandbox = false;
    bool debugger = false;
    bool keep_collection_base = false;  // worker/collection_base.hpp
};

// Turns the C options into EngineOptions: validates, resolves defaults and
// paths.  Returns a status and sets *message on failure.
int resolve_options(const tach_init_options *opts, EngineOptions *out, std::string *message);

class Engine {
public:
    explicit Engine(EngineOptions options) : options_(std::move(options)) {}
    ~Engine();

    int init();
    int snapshot();
    int run_test(const std::string &nodeid, std::unique_ptr<TestRun> *out);
    int restore();
    // tach_recollect: collect `paths` (empty: those of the options' args)
    // in a zygote forked from the parked pre-collection state when it is
    // current (*reused), else in a new worker (recollect_reason() says why).
    int recollect(std::vector<std::string> paths, bool *reused);
    const std::string &recollect_reason() const { return recollect_reason_; }

    // Lanes (tach_runner): each call may run on its own thread, one thread
    // per lane; the zygote is shared under a lock.  Failures leave their
    // message in lane->error, never in error().
    int open_lane(std::unique_ptr<Lane> *out, std::string *message);
    int run_in_lane(Lane &lane, const std::string &nodeid, std::unique_ptr<TestRun> *out);
    void close_lane(Lane &lane);
    // Writes the coverage report (tach_coverage_write).  format is a
    // tach_coverage_format value.
    int write_coverage(int format, const std::string &path, bool with_contexts);
    bool coverage_enabled() const { return options_.coverage; }
    // What has been accumulated (collection context + every result), as
    // the worker reported it: physical lines, no statements yet.
    const coverage::CoverageData &coverage_data() const { return coverage_; }

    // Thread-safe: kills the worker and makes every later worker start
    // fail with TACH_ESHUTDOWN (tach_shutdown from another thread).
    void abort() { abort_.abort(); }
    bool aborted() const { return abort_.aborted(); }

    // Sets the message of a failure detected outside the engine (options).
    int fail(int status, std::string message);

    const std::string &error() const { return error_; }
    void clear_error() { error_.clear(); }
    bool failed() const { return failed_; }

    // The mode in effect (decided by snapshot(); AUTO before) and why.
    tach_isolation isolation() const { return effective_; }
    tach_isolation requested_isolation() const { return options_.isolation; }
    bool isolation_decided() const { return snapshotted_; }
    const std::string &isolation_reason() const { return isolation_reason_; }
    const std::string &python_version() const { return python_version_; }
    const std::string &pytest_version() const { return pytest_version_; }
    const std::vector<std::string> &nodeids() const { return nodeids_; }
    const std::vector<protocol::CollectError> &collect_errors() const { return collect_errors_; }
    bool collection_interrupts() const { return interrupts_; }
    std::size_t deselected() const { return deselected_; }
    const std::vector<std::string> &python_files() const { return python_files_; }

private:
    int start_worker(protocol::Collected *collected);
    int receive_collection(protocol::Collected *collected);
    int accept_collection(const std::string &payload, protocol::Collected *collected);
    void adopt_collection(protocol::Collected collected);
    int ensure_worker();
    int ensure_runner();
    int request_ack(const std::string &frame);
    void discard_worker();
    int worker_failure(const std::string &what);
    TestRun run_once(Lane *lane, const std::string &nodeid, int *status);
    int start_lane(Lane &lane);
    void stash_exit(const std::string &payload);
    void blame_test_for_death(TestRun &run, bool timed_out, int wait_status, double start,
                              const std::string &traceback);
    int runner_wait_status(pid_t pid, TestRun *run);
    std::string timeout_text(const std::string &traceback) const;
    void add_coverage(const std::vector<protocol::FileLines> &files, const std::string &context);
    int fetch_statements(std::vector<protocol::FileStatements> *out);

    EngineOptions options_;
    std::vector<std::string> collect_paths_;  // tach_recollect's; empty: the args' own
    std::string recollect_reason_;
    AbortSwitch abort_;
    std::optional<WorkerProcess> worker_;
    std::optional<Channel> runner_;  // snapshot isolation: the runner's socket
    pid_t runner_pid_ = -1;
    // Serialises everything that talks to the zygote (its channel, its
    // replacement) and the engine-level calls; recursive because a test
    // run on the implicit runner waits for exit reports under it too.
    std::recursive_mutex control_mutex_;
    std::mutex coverage_mutex_;
    std::atomic<std::uint64_t> generation_{0};      // bumped with each new zygote
    std::set<pid_t> live_lanes_;                    // lanes whose end matters
    std::map<pid_t, protocol::RunnerExited> exits_; // reported, not yet asked for
    tach_isolation effective_ = TACH_ISOLATION_AUTO;
    std::string isolation_reason_;
    std::string golden_description_;
    bool failed_ = false;
    bool snapshotted_ = false;
    std::string error_;
    std::string python_version_;
    std::string pytest_version_;
    std::vector<std::string> nodeids_;
    std::unordered_map<std::string, std::size_t> index_;
    std::vector<protocol::CollectError> collect_errors_;
    bool interrupts_ = false;
    std::size_t deselected_ = 0;
    std::vector<std::string> python_files_;
    coverage::CoverageData coverage_;
};

}  // namespace tach
