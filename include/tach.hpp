/*
 * tach.hpp — header-only C++17 wrapper over the C API in tach.h.
 *
 * Every class owns exactly one tach handle through a std::unique_ptr with
 * the handle's free function as deleter; classes are move-only and offer
 * capi() (borrow the raw handle) and release() (give up ownership).  Nothing
 * here knows the engine's internals: it only calls the functions of tach.h.
 *
 * Error model: one exception type, tach::Error, carrying the tach_status
 * code and the handle's message.  Every wrapper call that gets a status
 * other than TACH_OK throws it.  Exceptions are thrown on the caller's side
 * of the ABI only; nothing here lets one cross into the library.
 *
 *     tach::InitOptions opts;
 *     opts.project_root("/path/to/project").args({"tests/"});
 *     tach::Engine engine = tach::Engine::init(opts);   // throws tach::Error
 *     engine.snapshot();
 *     for (const std::string &id : engine.tests()) {
 *         tach::Result r = engine.run_test(id);
 *         std::cout << r.nodeid() << ' ' << r.outcome_name() << '\n';
 *         engine.restore();
 *     }
 *
 * Thread safety is that of the C API: one Engine is used by one thread at a
 * time; Results are independent objects.
 */
#ifndef TACH_HPP
#define TACH_HPP

#include "tach.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tach {

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

/* A failed tach call: the status code and the detailed message (the
 * handle's tach_errmsg, or tach_strerror(code) when that was empty). */
class Error : public std::runtime_error {
public:
    Error(tach_status code, const std::string &message)
        : std::runtime_error(message.empty() ? std::string(tach_strerror(code))
                                             : message),
          code_(code) {}

    /* The tach_status of the failed call (never TACH_OK). */
    tach_status code() const noexcept { return code_; }

    /* The static name of the code, e.g. "TACH_EINVAL: invalid argument". */
    const char *code_name() const noexcept { return tach_strerror(code_); }

private:
    tach_status code_;
};

namespace detail {

inline std::string to_string(const char *s) { return s ? std::string(s) : std::string(); }

struct EngineDeleter {
    void operator()(tach_engine *engine) const noexcept { tach_shutdown(engine); }
};

struct RunnerDeleter {
    void operator()(tach_runner *runner) const noexcept { tach_runner_close(runner); }
};

struct ResultDeleter {
    void operator()(tach_result *result) const noexcept { tach_result_free(result); }
};

/* Throw tach::Error for a non-OK status of a call on `engine`. */
inline void check(const tach_engine *engine, int status) {
    if (status != TACH_OK)
        throw Error(static_cast<tach_status>(status), to_string(tach_errmsg(engine)));
}

} // namespace detail

/* ------------------------------------------------------------------------ */
/* Enumerations and free functions                                           */
/* ------------------------------------------------------------------------ */

/* Mirrors tach_isolation. */
enum class Isolation : int {
    Auto = TACH_ISOLATION_AUTO,
    Fork = TACH_ISOLATION_FORK,
    None = TACH_ISOLATION_NONE,
    Snapshot = TACH_ISOLATION_SNAPSHOT,
};

/* Mirrors tach_outcome. */
enum class Outcome : int {
    Passed = TACH_OUTCOME_PASSED,
    Failed = TACH_OUTCOME_FAILED,
    Skipped = TACH_OUTCOME_SKIPPED,
    XFailed = TACH_OUTCOME_XFAILED,
    XPassed = TACH_OUTCOME_XPASSED,
    Error = TACH_OUTCOME_ERROR,
    Crashed = TACH_OUTCOME_CRASHED,
    Timeout = TACH_OUTCOME_TIMEOUT,
};

/* Version of the library actually loaded, e.g. "0.1.0". */
inline std::string version() { return detail::to_string(tach_version()); }

/* TACH_VERSION_NUMBER of the library actually loaded. */
inline int version_number() noexcept { return tach_version_number(); }

/* "passed", "failed", ..., "unknown".  Static storage. */
inline std::string_view outcome_name(Outcome outcome) noexcept {
    return tach_outcome_name(static_cast<tach_outcome>(outcome));
}

/* "auto", "fork", "none", "snapshot", "unknown".  Static storage. */
inline std::string_view isolation_name(Isolation isolation) noexcept {
    return tach_isolation_name(static_cast<tach_isolation>(isolation));
}

/* "TACH_EINVAL: invalid argument", ...  Static storage. */
inline std::string_view status_name(int status) noexcept { return tach_strerror(status); }

/* What the kernel offers snapshot isolation, as this user sees it
 * (tach_probe_capabilities). */
struct Capabilities {
    std::string kernel_release;    /* uname -r */
    bool userfaultfd = false;      /* this user may create one */
    bool uffd_wp_async = false;    /* UFFD_FEATURE_WP_ASYNC */
    bool uffd_wp_unpopulated = false;
    bool pagemap_scan = false;     /* the PAGEMAP_SCAN ioctl */
    bool procmap_query = false;    /* the PROCMAP_QUERY ioctl (optional) */
    bool snapshot_supported = false;
    std::string reason;            /* why not, when !snapshot_supported */
};

/* Probe the kernel (tach_probe_capabilities).  Throws tach::Error when the
 * probe itself fails. */
inline Capabilities probe_capabilities() {
    tach_capabilities raw = TACH_CAPABILITIES_INIT;
    const int status = tach_probe_capabilities(&raw);
    if (status != TACH_OK)
        throw Error(static_cast<tach_status>(status), std::string());
    const auto text = [](const char *s, std::size_t size) {
        std::size_t n = 0;
        while (n < size && s[n] != '\0')
            n++;
        return std::string(s, n);
    };
    Capabilities caps;
    caps.kernel_release = text(raw.kernel_release, sizeof raw.kernel_release);
    caps.userfaultfd = raw.userfaultfd != 0;
    caps.uffd_wp_async = raw.uffd_wp_async != 0;
    caps.uffd_wp_unpopulated = raw.uffd_wp_unpopulated != 0;
    caps.pagemap_scan = raw.pagemap_scan != 0;
    caps.procmap_query = raw.procmap_query != 0;
    caps.snapshot_supported = raw.snapshot_supported != 0;
    caps.reason = text(raw.reason, sizeof raw.reason);
    return caps;
}

/* A worker this library can start (tach_worker_info_get). */
struct WorkerInfo {
    std::string path;            /* the tach-worker executable */
    std::string python_version;  /* "3.12.1" */
    std::string python;          /* the interpreter it embeds */
};

/* Every worker, the default one first (tach_worker_count). */
inline std::vector<WorkerInfo> workers() {
    std::vector<WorkerInfo> out;
    const std::size_t n = tach_worker_count();
    for (std::size_t i = 0; i < n; i++) {
        tach_worker_info raw = TACH_WORKER_INFO_INIT;
        const int status = tach_worker_info_get(i, &raw);
        if (status != TACH_OK)
            throw Error(static_cast<tach_status>(status), std::string());
        out.push_back({raw.path ? raw.path : "", raw.python_version ? raw.python_version : "",
                       raw.python ? raw.python : ""});
    }
    return out;
}

/* ------------------------------------------------------------------------ */
/* InitOptions                                                               */
/* ------------------------------------------------------------------------ */

/* Builder for tach_init_options.  Owns copies of every string and of the
 * argument vector, so it may outlive whatever it was built from.  Setters
 * return *this for chaining.  An unset string option means the C default
 * (NULL). */
class InitOptions {
public:
    InitOptions() = default;

    InitOptions &project_root(std::string path) {
        project_root_ = Optional{std::move(path), true};
        return *this;
    }
    InitOptions &args(std::vector<std::string> args) {
        args_ = std::move(args);
        return *this;
    }
    InitOptions &arg(std::string arg) {
        args_.push_back(std::move(arg));
        return *this;
    }
    InitOptions &python(std::string path) {
        python_ = Optional{std::move(path), true};
        return *this;
    }
    InitOptions &isolation(Isolation mode) noexcept {
        isolation_ = mode;
        return *this;
    }
    /* Per-test limit in seconds; <= 0 means none. */
    InitOptions &timeout(double seconds) noexcept {
        timeout_ = seconds;
        return *this;
    }
    /* Bytes of address space per worker process (RLIMIT_AS); 0: none. */
    InitOptions &max_worker_memory(uint64_t bytes) noexcept {
        max_worker_memory_ = bytes;
        return *this;
    }
    /* Park the pre-collection state so that Engine::recollect reuses it
     * (tach_init_options.keep_collection_base). */
    InitOptions &keep_collection_base(bool keep) noexcept {
        keep_collection_base_ = keep;
        return *this;
    }
    InitOptions &worker_path(std::string path) {
        worker_path_ = Optional{std::move(path), true};
        return *this;
    }
    InitOptions &shim_path(std::string path) {
        shim_path_ = Optional{std::move(path), true};
        return *this;
    }

    const std::vector<std::string> &args() const noexcept { return args_; }
    Isolation isolation() const noexcept { return isolation_; }
    double timeout() const noexcept { return timeout_; }
    uint64_t max_worker_memory() const noexcept { return max_worker_memory_; }
    bool keep_collection_base() const noexcept { return keep_collection_base_; }

    /* The C struct, pointing into this object's storage: valid until this
     * object is modified, moved or destroyed. */
    const tach_init_options &capi() const {
        argv_.clear();
        argv_.reserve(args_.size());
        for (const std::string &a : args_)
            argv_.push_back(a.c_str());
        tach_init_options opts = TACH_INIT_OPTIONS_INIT;
        opts.project_root = project_root_.c_str();
        opts.args = argv_.empty() ? nullptr : argv_.data();
        opts.nargs = argv_.size();
        opts.python = python_.c_str();
        opts.isolation = static_cast<tach_isolation>(isolation_);
        opts.timeout_seconds = timeout_;
        opts.max_worker_memory = max_worker_memory_;
        opts.keep_collection_base = keep_collection_base_ ? 1 : 0;
        opts.worker_path = worker_path_.c_str();
        opts.shim_path = shim_path_.c_str();
        c_options_ = opts;
        return c_options_;
    }

private:
    /* std::optional's C++17 cousin, kept minimal: a string that may be
     * absent (NULL to the C side). */
    struct Optional {
        std::string value;
        bool set = false;
        const char *c_str() const noexcept { return set ? value.c_str() : nullptr; }
    };

    Optional project_root_;
    std::vector<std::string> args_;
    Optional python_;
    Isolation isolation_ = Isolation::Auto;
    double timeout_ = 0.0;
    uint64_t max_worker_memory_ = 0;
    bool keep_collection_base_ = false;
    Optional worker_path_;
    Optional shim_path_;

    /* Rebuilt by every capi() call, so copies and moves never dangle. */
    mutable std::vector<const char *> argv_;
    mutable tach_init_options c_options_ = TACH_INIT_OPTIONS_INIT;
};

/* ------------------------------------------------------------------------ */
/* Result                                                                    */
/* ------------------------------------------------------------------------ */

/* One test's result; owns a tach_result.  Accessors copy the strings out,
 * so their values outlive the Result. */
class Result {
public:
    /* Adopt a result (takes ownership; NULL gives an empty Result). */
    explicit Result(tach_result *raw) noexcept : ptr_(raw) {}

    Result(Result &&) noexcept = default;
    Result &operator=(Result &&) noexcept = default;
    Result(const Result &) = delete;
    Result &operator=(const Result &) = delete;

    tach_result *capi() const noexcept { return ptr_.get(); }
    tach_result *release() noexcept { return ptr_.release(); }

    std::string nodeid() const { return detail::to_string(tach_result_nodeid(ptr_.get())); }
    Outcome outcome() const noexcept {
        return static_cast<Outcome>(tach_result_outcome(ptr_.get()));
    }
    std::string_view outcome_name() const noexcept { return tach::outcome_name(outcome()); }
    /* Seconds of setup + call + teardown. */
    double duration() const noexcept { return tach_result_duration(ptr_.get()); }
    /* "setup", "call" or "teardown". */
    std::string phase() const { return detail::to_string(tach_result_phase(ptr_.get())); }
    std::string longrepr() const { return detail::to_string(tach_result_longrepr(ptr_.get())); }
    std::string message() const { return detail::to_string(tach_result_message(ptr_.get())); }
    std::string stdout_text() const { return detail::to_string(tach_result_stdout(ptr_.get())); }
    std::string stderr_text() const { return detail::to_string(tach_result_stderr(ptr_.get())); }
    /* The signal that ended a crashed or timed-out test, else 0. */
    int signal() const noexcept { return tach_result_signal(ptr_.get()); }
    /* Exit status of a test process that called exit/_exit, or -1. */
    int exit_status() const noexcept { return tach_result_exit_status(ptr_.get()); }
    /* Whether the teardown failed too (one more error beside outcome()). */
    bool teardown_failed() const noexcept {
        return tach_result_teardown_failed(ptr_.get()) != 0;
    }
    /* The failed teardown's own text and one-line message ("" when the
     * teardown did not fail); longrepr() never contains them. */
    std::string teardown_longrepr() const {
        return detail::to_string(tach_result_teardown_longrepr(ptr_.get()));
    }
    std::string teardown_message() const {
        return detail::to_string(tach_result_teardown_message(ptr_.get()));
    }

    /* Snapshot-isolation statistics: pages copied back after the test, the
     * seconds that restore took, and whether the worker had to be replaced
     * instead (and why). */
    std::uint64_t pages_restored() const noexcept {
        return tach_result_pages_restored(ptr_.get());
    }
    double restore_seconds() const noexcept { return tach_result_restore_seconds(ptr_.get()); }
    bool worker_replaced() const noexcept {
        return tach_result_worker_replaced(ptr_.get()) != 0;
    }
    std::string replace_reason() const {
        return detail::to_string(tach_result_replace_reason(ptr_.get()));
    }

private:
    std::unique_ptr<tach_result, detail::ResultDeleter> ptr_;
};

/* ------------------------------------------------------------------------ */
/* Engine                                                                    */
/* ------------------------------------------------------------------------ */

/* A collection error: the collector's node id (usually a file path) and
 * pytest's error text. */
struct CollectError {
    std::string nodeid;
    std::string text;
};

/* One worker and its collected tests; owns a tach_engine. */
class Engine {
public:
    /* Start a worker and collect (tach_init).  Throws tach::Error with the
     * engine's message when that fails; the failed engine is shut down. */
    static Engine init(const InitOptions &options) {
        tach_engine *raw = nullptr;
        const int status = tach_init(&raw, &options.capi());
        if (status != TACH_OK) {
            std::string message = detail::to_string(tach_errmsg(raw));
            tach_shutdown(raw);
            throw Error(static_cast<tach_status>(status), message);
        }
        return Engine(raw);
    }

    /* Adopt an engine (takes ownership). */
    explicit Engine(tach_engine *raw) noexcept : ptr_(raw) {}

    Engine(Engine &&) noexcept = default;
    Engine &operator=(Engine &&) noexcept = default;
    Engine(const Engine &) = delete;
    Engine &operator=(const Engine &) = delete;

    tach_engine *capi() const noexcept { return ptr_.get(); }
    tach_engine *release() noexcept { return ptr_.release(); }

    /* The message of the last failed call on this engine ("" if none). */
    std::string errmsg() const { return detail::to_string(tach_errmsg(ptr_.get())); }

    std::size_t test_count() const noexcept { return tach_test_count(ptr_.get()); }

    /* Node ids of the collected tests, in pytest's order. */
    std::vector<std::string> tests() const {
        const std::size_t n = test_count();
        std::vector<std::string> ids;
        ids.reserve(n);
        for (std::size_t i = 0; i < n; i++)
            ids.push_back(detail::to_string(tach_test_nodeid(ptr_.get(), i)));
        return ids;
    }

    std::vector<CollectError> collect_errors() const {
        const std::size_t n = tach_collect_error_count(ptr_.get());
        std::vector<CollectError> errors;
        errors.reserve(n);
        for (std::size_t i = 0; i < n; i++)
            errors.push_back({detail::to_string(tach_collect_error_nodeid(ptr_.get(), i)),
                              detail::to_string(tach_collect_error_text(ptr_.get(), i))});
        return errors;
    }

    /* Tests collected but deselected (-k, -m, plugins); not in tests(). */
    std::size_t deselected_count() const noexcept {
        return tach_deselected_count(ptr_.get());
    }

    /* Whether pytest would stop the run because of collection errors. */
    bool collection_interrupts() const noexcept {
        return tach_collection_interrupts(ptr_.get()) != 0;
    }

    void snapshot() { detail::check(ptr_.get(), tach_snapshot(ptr_.get())); }

    /* Run one collected test.  Any outcome (even a crash) is a Result;
     * throws only when the call itself failed (unknown node id, worker
     * lost, called before snapshot()). */
    Result run_test(std::string_view nodeid) {
        const std::string id(nodeid);
        tach_result *raw = nullptr;
        detail::check(ptr_.get(), tach_run_test(ptr_.get(), id.c_str(), &raw));
        return Result(raw);
    }

    void restore() { detail::check(ptr_.get(), tach_restore(ptr_.get())); }

    /* Collect again (tach_recollect): `paths` instead of those of the
     * options' args (none: those again).  Returns true when the parked
     * pre-collection state was reused, false when a new worker was started
     * (recollect_reason() says why).  Call snapshot() again afterwards;
     * every Runner must have been destroyed. */
    bool recollect(const std::vector<std::string> &paths = {}) {
        std::vector<const char *> argv;
        argv.reserve(paths.size());
        for (const std::string &p : paths)
            argv.push_back(p.c_str());
        int reused = 0;
        detail::check(ptr_.get(), tach_recollect(ptr_.get(), argv.empty() ? nullptr : argv.data(),
                                                 argv.size(), &reused));
        return reused != 0;
    }

    /* pytest's python_files patterns (tach_python_files_pattern). */
    std::vector<std::string> python_files() const {
        std::vector<std::string> patterns;
        const std::size_t n = tach_python_files_count(ptr_.get());
        for (std::size_t i = 0; i < n; ++i)
            patterns.push_back(detail::to_string(tach_python_files_pattern(ptr_.get(), i)));
        return patterns;
    }

    std::string recollect_reason() const {
        return detail::to_string(tach_recollect_reason(ptr_.get()));
    }

    /* The isolation mode in effect: Auto is resolved by snapshot(); before
     * that, the mode requested. */
    Isolation isolation() const noexcept {
        return static_cast<Isolation>(tach_engine_isolation(ptr_.get()));
    }

    /* Why that mode is in effect, in one line ("" before snapshot()). */
    std::string isolation_reason() const {
        return detail::to_string(tach_engine_isolation_reason(ptr_.get()));
    }

    std::string python_version() const {
        return detail::to_string(tach_python_version(ptr_.get()));
    }
    std::string pytest_version() const {
        return detail::to_string(tach_pytest_version(ptr_.get()));
    }

private:
    std::unique_ptr<tach_engine, detail::EngineDeleter> ptr_;
};

/* ------------------------------------------------------------------------ */
/* Runner (tach_runner): one more worker of an engine, for one thread         */
/* ------------------------------------------------------------------------ */

/* Move-only.  Open one per thread to run tests at the same time; close
 * (destroy) them before or after the engine, never while another thread
 * uses them. */
class Runner {
public:
    /* tach_runner_open: after engine.snapshot().  Throws tach::Error with
     * the failed runner's message. */
    static Runner open(Engine &engine) {
        tach_runner *raw = nullptr;
        const int status = tach_runner_open(engine.capi(), &raw);
        Runner runner(raw);  // a failed runner too: closed when this throws
        if (status != TACH_OK)
            throw Error(static_cast<tach_status>(status),
                        raw ? runner.errmsg() : detail::to_string(tach_strerror(status)));
        return runner;
    }

    /* Adopt a runner (takes ownership). */
    explicit Runner(tach_runner *raw) noexcept : ptr_(raw) {}

    Runner(Runner &&) noexcept = default;
    Runner &operator=(Runner &&) noexcept = default;
    Runner(const Runner &) = delete;
    Runner &operator=(const Runner &) = delete;

    tach_runner *capi() const noexcept { return ptr_.get(); }

    /* The message of the last failed call on this runner ("" if none). */
    std::string errmsg() const { return detail::to_string(tach_runner_errmsg(ptr_.get())); }

    /* Engine::run_test on this runner; throws tach::Error with the
     * runner's message when the call itself failed. */
    Result run_test(std::string_view nodeid) {
        const std::string id(nodeid);
        tach_result *raw = nullptr;
        const int status = tach_runner_run_test(ptr_.get(), id.c_str(), &raw);
        if (status != TACH_OK)
            throw Error(static_cast<tach_status>(status), errmsg());
        return Result(raw);
    }

private:
    std::unique_ptr<tach_runner, detail::RunnerDeleter> ptr_;
};

} // namespace tach

#endif /* TACH_HPP */
