// tach: run a pytest suite with each test isolated, reporting as pytest
// does.  Built on libtach's public API only (through tach.hpp).
#include <fcntl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <vector>

#include "arguments.hpp"
#include "bazel_artifacts.hpp"
#include "bazel_env.hpp"
#include "coverage_options.hpp"
#include "doctor.hpp"
#include "durations_cache.hpp"
#include "help_text.hpp"
#include "interrupt.hpp"
#include "isolation_stats.hpp"
#include "junit_xml.hpp"
#include "parallel_run.hpp"
#include "run_loop.hpp"
#include "summary.hpp"
#include "terminal_report.hpp"
#include "terminal_writer.hpp"
#include "watch/watch_mode.hpp"
#include "tach.hpp"

namespace tach_cli {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string hostname() {
    struct utsname names {};
    return uname(&names) == 0 ? names.nodename : "";
}

tach::InitOptions init_options(const Arguments &args) {
    tach::InitOptions options;
    std::error_code ec;
    const std::filesystem::path cwd = std::filesystem::current_path(ec);
    if (!ec)
        options.project_root(cwd.string());
    options.args(args.pytest_args).isolation(args.isolation).timeout(args.timeout);
    options.max_worker_memory(args.max_worker_memory);
    if (!args.python.empty())
        options.python(args.python);
    return options;
}

// ---- coverage wiring (tach.h's coverage API) --------------------------------
// tach.hpp's InitOptions does not carry the coverage, debugger and sandbox
// fields: the C struct it builds gets them here, and the engine is started
// as Engine::init would start it.
tach::Engine start_engine(const Arguments &args, const CoveragePlan &plan, bool keep_collection_base) {
    const tach::InitOptions options = init_options(args);
    tach_init_options raw = options.capi();
    std::vector<const char *> sources;
    if (plan.enabled) {
        for (const std::string &source : plan.sources)
            sources.push_back(source.c_str());
        raw.coverage = 1;
        raw.coverage_sources = sources.empty() ? nullptr : sources.data();
        raw.ncoverage_sources = sources.size();
    }
    // breakpoint() and --pdb reach the user's terminal (docs/debugging.md).
    raw.debugger = args.pdb || (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) ? 1 : 0;
    raw.sandbox = args.sandbox ? 1 : 0;
    raw.keep_collection_base = keep_collection_base ? 1 : 0;
    tach_engine *handle = nullptr;
    const int status = tach_init(&handle, &raw);
    if (status != TACH_OK) {
        const char *message = tach_errmsg(handle);
        const std::string text = message ? message : "";
        tach_shutdown(handle);
        throw tach::Error(static_cast<tach_status>(status), text);
    }
    return tach::Engine(handle);
}

// Sets `engine` up for this run.  Watch mode keeps the engine between runs
// and collects again in its worker, from the state parked before
// collection (docs/watch.md); otherwise, or when that fails, a new engine
// is started for the arguments.  Throws tach::Error as start_engine does.
void open_engine(const Arguments &args, const CoveragePlan &plan, tach::Engine &engine,
                 const watch::WatchRun *rerun) {
    if (rerun && !rerun->first) {
        if (rerun->new_worker) {
            watch::say("tach --watch: new worker: pytest's configuration changed");
        } else if (!engine.capi()) {
            watch::say("tach --watch: new worker (the last run had none), for everything");
        } else {
            try {
                if (engine.recollect(rerun->test_files))
                    watch::say("tach --watch: collected again in the same worker "
                               "(interpreter, pytest and conftest files kept)");
                else
                    watch::say("tach --watch: new worker: " + engine.recollect_reason());
                return;
            } catch (const tach::Error &error) {
                watch::say(std::string("tach --watch: collecting again failed (") + error.what() +
                           "); new worker, for everything");
            }
        }
    }
    engine = tach::Engine(nullptr);  // the old worker ends first
    engine = start_engine(args, plan, rerun != nullptr);
}

// The term table with a Missing column.  tach.h has no name for it yet
// (TACH_COVERAGE_TEXT_MISSING, rendered as coverage::Format::TextMissing,
// is asked for); a library that rejects the value gets the plain table.
constexpr auto kCoverageTextMissing = TACH_COVERAGE_TEXT_MISSING;

// The table as text, through a temporary file.  "" and error set on failure.
std::string coverage_table(tach::Engine &engine, bool missing, std::string &error) {
    const char *tmpdir = std::getenv("TMPDIR");
    std::string pattern = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/tach-cov-XXXXXX";
    const int fd = mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0) {
        error = "cannot create a temporary file in " + pattern;
        return "";
    }
    close(fd);
    int status = missing ? tach_coverage_write(engine.capi(), kCoverageTextMissing,
                                               pattern.c_str(), 0)
                         : TACH_EINVAL;
    if (status == TACH_EINVAL)
        status = tach_coverage_write(engine.capi(), TACH_COVERAGE_TEXT, pattern.c_str(), 0);
    std::string text;
    if (status == TACH_OK) {
        std::ifstream in(pattern, std::ios::binary);
        std::ostringstream buffer;
        buffer << in.rdbuf();
        text = buffer.str();
    } else {
        error = engine.errmsg();
    }
    unlink(pattern.c_str());
    return text;
}

tach_coverage_format capi_format(CoverageFile kind) {
    switch (kind) {
    case CoverageFile::Xml:
        return TACH_COVERAGE_COBERTURA;
    case CoverageFile::Json:
        return TACH_COVERAGE_JSON;
    case CoverageFile::Lcov:
        break;
    }
    return TACH_COVERAGE_LCOV;
}

// pytest-cov's section: the title, the table, one line per file written;
// a report that fails is a warning in its place (the exit code stays).
std::vector<TerminalReport::CoverageLine> coverage_report(tach::Engine &engine,
                                                          const CoveragePlan &plan,
                                                          const std::string &python_version) {
    std::vector<TerminalReport::CoverageLine> lines;
    if (!plan.enabled || (!plan.table && plan.files.empty()))
        return lines;
    const auto warn = [&lines](const std::string &error) {
        lines.push_back({"WARNING: Failed to generate report: " + error, true});
    };
    lines.push_back({coverage_title_line(python_version)});
    if (plan.table) {
        std::string error;
        const std::string table = coverage_table(engine, plan.missing, error);
        if (!error.empty()) {
            warn(error);
        } else {
            std::string_view rest = table;
            while (!rest.empty()) {
                const std::size_t nl = rest.find('\n');
                lines.push_back({std::string(rest.substr(0, nl))});
                rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
            }
        }
    }
    for (const CoverageOutput &output : plan.files) {
        if (tach_coverage_write(engine.capi(), capi_format(output.kind), output.path.c_str(),
                                plan.contexts ? 1 : 0) == TACH_OK)
            lines.push_back({coverage_written_line(output)});
        else
            warn(engine.errmsg());
    }
    return lines;
}
// ---- coverage wiring (end) ---------------------------------------------------

// CPUs this process may run on (its affinity mask; cgroup quotas aside).
std::size_t cpu_count() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return static_cast<std::size_t>(CPU_COUNT(&set));
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? static_cast<std::size_t>(n) : 1;
}

// How many tests run at a time.  -n decides when given ("auto": the CPUs).
// Otherwise the CPUs, except where one worker is what keeps pytest's
// semantics: -x/--maxfail (the run stops where pytest's would) and
// isolation none (tests share one interpreter, as under pytest).  --pdb
// always gets one: only the zygote's own test processes reach the terminal.
std::size_t worker_count(const Arguments &args, tach::Isolation isolation, std::size_t tests) {
    std::size_t n = 1;
    if (args.pdb)
        n = 1;
    else if (args.workers_given)
        n = args.workers == 0 ? cpu_count() : static_cast<std::size_t>(args.workers);
    else if (args.maxfail == 0 && isolation != tach::Isolation::None)
        n = cpu_count();
    return std::max<std::size_t>(1, std::min(n, tests));
}

// The start order for several workers, and the words --stats uses for it.
std::vector<std::size_t> start_order(const std::vector<std::string> &nodeids, const Durations &known,
                                     std::string &scheduling) {
    std::size_t remembered = 0;
    for (const std::string &id : nodeids)
        remembered += known.count(id);
    if (remembered == 0)
        scheduling = "collection order (no durations remembered in .tach/durations.json)";
    else
        scheduling = std::to_string(remembered) + " of " + std::to_string(nodeids.size()) +
                     " tests by remembered duration, longest first, after the others in "
                     "collection order (.tach/durations.json)";
    return dispatch_order(nodeids, known);
}

void print_init_error(const std::string &what) {
    std::string message = what;
    while (!message.empty() && message.back() == '\n')
        message.pop_back();
    // pytest's own usage messages already start with "ERROR: ".
    if (message.rfind("ERROR:", 0) != 0)
        message = "ERROR: " + message;
    std::fprintf(stderr, "%s\n", message.c_str());
}

// Write the JUnit file if asked to.  Returns its absolute path for the
// report ("" when not asked or not written); ok is false when writing
// failed (the message is already on stderr).
std::string junit_output(const Arguments &args, const Session &session, bool &ok) {
    ok = true;
    if (args.junit_xml.empty())
        return "";
    std::string error;
    if (!write_junit_xml(args.junit_xml, render_junit_xml(session, hostname()), error)) {
        std::fprintf(stderr, "ERROR: cannot write JUnit XML to %s: %s\n",
                     args.junit_xml.c_str(), error.c_str());
        ok = false;
        return "";
    }
    std::error_code ec;
    const auto absolute = std::filesystem::absolute(args.junit_xml, ec);
    return ec ? args.junit_xml : absolute.lexically_normal().string();
}

// Bazel's TEST_INFRASTRUCTURE_FAILURE_FILE: the engine could not start or
// the worker failed, as opposed to tests that failed.
// tach_init reports a missing tach-worker or tach_shim as TACH_ENOTFOUND,
// like a missing test path; for tach (and Bazel) that is the engine not
// starting: exit code 3 and an infrastructure failure.
bool infrastructure_failure(int status, const std::string &message) {
    if (status == TACH_ENOTFOUND)
        return message.find("worker executable") != std::string::npos ||
               message.find("(tach_shim)") != std::string::npos;
    return status == TACH_EWORKER || status == TACH_EINTERP || status == TACH_ERROR;
}

// One run.  In watch mode `kept` holds the engine between runs and
// `rerun` says what this run is (first, or which files to collect again).
int run(const Arguments &args, const BazelEnv &bazel, tach::Engine *kept = nullptr,
        const watch::WatchRun *rerun = nullptr) {
    const Clock::time_point start = Clock::now();
    // --collect-only runs nothing, so it measures nothing (pytest-cov
    // reports nothing then either).
    const CoveragePlan coverage = args.collect_only ? CoveragePlan{} : coverage_plan(args.coverage);
    Session session;
    session.started = std::chrono::system_clock::now();
    session.maxfail = args.maxfail;

    TerminalWriter tw(stdout, terminal_width(std::getenv("COLUMNS"), STDOUT_FILENO),
                      should_use_color(args.color, STDOUT_FILENO));
    TerminalReport report(tw, args.verbosity, running_on_ci());
    report.set_show_stats(args.stats);
    report.set_tty(isatty(STDOUT_FILENO) != 0);
    install_interrupt_handler();

    tach::Engine local_engine(nullptr);
    tach::Engine &engine = kept ? *kept : local_engine;
    try {
        open_engine(args, coverage, engine, rerun);
    } catch (const tach::Error &error) {
        if (interrupt_requested()) {
            session.stop = StopReason::KeyboardInterrupt;
            session.duration = seconds_since(start);
            report.finish(session, "");
            return kExitInterrupted;
        }
        print_init_error(error.what());
        if (infrastructure_failure(error.code(), error.what())) {
            write_text_file(bazel.infrastructure_file, error.what());
            return kExitInternalError;
        }
        return init_failure_exit_code(error.code());
    }

    session.python_version = engine.python_version();
    session.pytest_version = engine.pytest_version();
    session.collect_errors = engine.collect_errors();
    const std::vector<std::string> all_nodeids = engine.tests();
    // Bazel sharding: this shard's tests only; the others count as deselected.
    const std::vector<std::string> nodeids = shard_tests(bazel, all_nodeids);
    if (bazel.sharded())
        touch_file(bazel.shard_status_file);
    session.collected = nodeids.size();
    session.deselected = engine.deselected_count() + (all_nodeids.size() - nodeids.size());
    // An empty shard of a suite that has tests is not "no tests collected".
    const auto shard_exit = [&](int code) {
        return code == kExitNoTestsCollected && bazel.sharded() && !all_nodeids.empty()
                   ? kExitOk
                   : code;
    };
    const bool collection_interrupts = engine.collection_interrupts();

    if (args.collect_only) {
        session.duration = seconds_since(start);
        bool junit_ok;
        junit_output(args, session, junit_ok);
        report.collect_only(session, nodeids, collection_interrupts);
        if (!junit_ok)
            return kExitInternalError;
        if (collection_interrupts)
            return kExitInterrupted;
        return shard_exit(nodeids.empty() && session.collect_errors.empty()
                              ? kExitNoTestsCollected
                              : kExitOk);
    }

    // The golden image first, so that the header can say which isolation
    // is in effect and why (auto resolves here).
    bool runnable = false;
    if (interrupt_requested()) {
        session.stop = StopReason::KeyboardInterrupt;
    } else if (collection_interrupts) {
        session.stop = StopReason::CollectionErrors;
    } else if (!nodeids.empty()) {
        std::string unsupported;
        switch (snapshot_engine(engine, session, unsupported)) {
        case SnapshotStatus::Ok:
            runnable = true;
            break;
        case SnapshotStatus::Unsupported:
            // --isolation snapshot where it cannot be had: a usage error.
            print_init_error("snapshot isolation is unavailable here: " + unsupported +
                             "\n(--isolation fork works everywhere; tach --doctor tells more)");
            return init_failure_exit_code(TACH_EUNSUPPORTED);
        case SnapshotStatus::Failed:
            break;
        }
    }
    session.isolation = std::string(tach::isolation_name(engine.isolation()));
    session.isolation_reason = engine.isolation_reason();
    if (runnable && !args.isolation_given && engine.isolation() == tach::Isolation::Fork) {
        std::fflush(stdout);
        std::fprintf(stderr, "%s\n", fork_fallback_note(session.isolation_reason).c_str());
    }

    report.header(session);
    std::error_code cwd_error;
    const std::string project_root = std::filesystem::current_path(cwd_error).string();
    const std::string cache_path = cwd_error ? std::string() : durations_path(project_root);
    Durations durations = cache_path.empty() ? Durations{} : load_durations(cache_path);
    if (runnable) {
        session.workers = worker_count(args, engine.isolation(), nodeids.size());
        if (session.workers > 1) {
            ParallelPlan plan;
            plan.workers = session.workers;
            plan.order = start_order(nodeids, durations, session.scheduling);
            if (isatty(STDOUT_FILENO)) {
                plan.live_progress = stdout;
                plan.width = terminal_width(std::getenv("COLUMNS"), STDOUT_FILENO);
            }
            if (const char *log = std::getenv("TACH_DISPATCH_LOG"))
                plan.dispatch_log = log;
            run_tests_parallel(engine, nodeids, plan, report, session);
        } else {
            session.scheduling = "collection order (one worker)";
            run_tests(engine, nodeids, report, session);
        }
        // Remember how long each test took, for the next run's order.
        if (!cache_path.empty() && !session.records.empty()) {
            for (const TestRecord &record : session.records)
                durations[record.nodeid] = record.duration;
            save_durations(cache_path, durations);
        }
    }

    if (!interrupt_requested())
        report.set_coverage_section(coverage_report(engine, coverage, session.python_version));
    session.duration = seconds_since(start);
    bool junit_ok;
    const std::string junit_path = junit_output(args, session, junit_ok);
    report.finish(session, junit_path);
    if (session.stop == StopReason::InternalError)
        write_text_file(bazel.infrastructure_file, session.internal_error);
    const int exit_code = junit_ok ? shard_exit(session_exit_code(session)) : kExitInternalError;
    if (!interrupt_requested())
        write_bazel_artifacts(engine, bazel, coverage.enabled, session, exit_code);
    return exit_code;
}

} // namespace
} // namespace tach_cli

namespace {

int tach_main(int argc, char **argv) {
    using namespace tach_cli;
    Arguments args;
    try {
        args = parse_arguments(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const UsageError &error) {
        std::fprintf(stderr, "%s\ntach: error: %s\n", usage_line(), error.what());
        return kExitUsageError;
    }
    if (args.help) {
        std::fputs(help_text().c_str(), stdout);
        return kExitOk;
    }
    if (args.version) {
        std::printf("%s\n", version_text().c_str());
        return kExitOk;
    }
    BazelEnv bazel;
    try {
        bazel = apply_bazel_env(args);
    } catch (const UsageError &error) {
        std::fprintf(stderr, "%s\ntach: error: %s\n", usage_line(), error.what());
        return kExitUsageError;
    }
    choose_bazel_coverage_sources(bazel, args);
    // Bazel's private temp directory, for the worker's tempfile and tmp_path.
    if (!bazel.test_tmpdir.empty())
        setenv("TMPDIR", bazel.test_tmpdir.c_str(), 1);
    try {
        if (args.doctor)
            return run_doctor(args, init_options(args));
        if (args.watch) {
            tach::Engine kept(nullptr);
            return watch::run_watch(args, [&](const watch::WatchRun &current,
                                              std::vector<std::string> *python_files) -> int {
                try {
                    const int code = run(args, bazel, &kept, &current);
                    if (kept.capi())
                        *python_files = kept.python_files();
                    return code;
                } catch (const std::exception &error) {
                    std::fflush(stdout);
                    std::fprintf(stderr, "INTERNALERROR> %s\n", error.what());
                    return kExitInternalError;
                }
            });
        }
        return run(args, bazel);
    } catch (const std::exception &error) {
        std::fflush(stdout);
        std::fprintf(stderr, "INTERNALERROR> %s\n", error.what());
        write_text_file(bazel.infrastructure_file, error.what());
        return kExitInternalError;
    }
}

} // namespace

int main(int argc, char **argv) {
    // A closed stdin/stdout/stderr would be reused by the first file the
    // library opens (a worker's socket read as "stdin" by the debugger
    // relay, say): keep the three standard descriptors taken.
    for (int fd = 0; fd <= 2; ++fd)
        if (fcntl(fd, F_GETFD) < 0)
            open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    // Bazel's TEST_PREMATURE_EXIT_FILE: there while tach runs, removed when
    // it exits on its own (with whatever exit code); left behind if tach
    // is killed.
    const std::string premature = tach_cli::process_env("TEST_PREMATURE_EXIT_FILE");
    tach_cli::touch_file(premature);
    const int code = tach_main(argc, argv);
    std::fflush(stdout);
    tach_cli::remove_file(premature);
    return code;
}
