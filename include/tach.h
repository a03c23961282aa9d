/*
 * tach.h — run pytest-style Python tests, each from the same pristine,
 * warmed interpreter state, behind a stable C ABI.
 *
 * The library (libtach.so.0) never runs Python in the calling process and
 * never forks it: tach_init spawns a worker executable that embeds CPython,
 * imports pytest and the project, and collects the tests.  Every call below
 * talks to that worker over a private socket.  A test that crashes, hangs or
 * exits its process becomes a result (TACH_OUTCOME_CRASHED / _TIMEOUT); it
 * never takes the calling process down.
 *
 * Typical use:
 *
 *     tach_init_options opts = TACH_INIT_OPTIONS_INIT;
 *     const char *args[] = { "tests/" };
 *     opts.project_root = "/path/to/project";
 *     opts.args = args;
 *     opts.nargs = 1;
 *
 *     tach_engine *engine = NULL;
 *     if (tach_init(&engine, &opts) != TACH_OK) {
 *         fprintf(stderr, "%s\n", tach_errmsg(engine));
 *         tach_shutdown(engine);
 *         return 1;
 *     }
 *     tach_snapshot(engine);
 *     for (size_t i = 0; i < tach_test_count(engine); i++) {
 *         tach_result *r = NULL;
 *         if (tach_run_test(engine, tach_test_nodeid(engine, i), &r) == TACH_OK)
 *             printf("%s %s\n", tach_result_nodeid(r),
 *                    tach_outcome_name(tach_result_outcome(r)));
 *         tach_result_free(r);
 *         tach_restore(engine);
 *     }
 *     tach_shutdown(engine);
 *
 * Conventions (the same for every function):
 * - Functions that can fail return an int status: TACH_OK (0) or one of the
 *   tach_status codes.  tach_strerror(code) names the code; tach_errmsg(h)
 *   gives the detailed message of the last failed call on that handle.
 * - Out-parameters come first.  On failure *out is left unchanged, except
 *   for tach_init (see there).
 * - Every handle has one free function; passing NULL to it is a no-op.
 * - Strings returned by the library are UTF-8 (invalid bytes replaced), are
 *   owned by the handle they came from and stay valid until that handle is
 *   freed, unless said otherwise.  Never free them.
 * - Thread safety: the engine-level calls (tach_snapshot, tach_run_test,
 *   tach_restore, tach_coverage_write) serialise on a lock of the engine,
 *   but tach_errmsg(engine) reports the last failed engine-level call
 *   whichever thread made it, so a program that reads messages calls them
 *   from one thread at a time.  To run tests from several threads at once,
 *   open one tach_runner per thread (see "Parallel runners" below): each
 *   runner has its own worker process and its own error message, and
 *   runners of one engine may run tests at the same time.  The collection
 *   accessors (tach_test_count, tach_test_nodeid, ...) only read what
 *   tach_init stored and may be called from any thread while runners run.
 *   tach_init must not overlap any other call on that engine; tach_shutdown
 *   may stop an engine-level call running on another thread (see there),
 *   but must not overlap calls on the engine's runners.  Different engines are independent.  Results
 *   are independent objects: once returned they may be read from any
 *   thread and freed by any thread, once.  Functions that take no handle
 *   are thread-safe.
 */
#ifndef TACH_H
#define TACH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(TACH_BUILDING_LIBRARY)
#define TACH_API __attribute__((visibility("default")))
#else
#define TACH_API
#endif

/* ------------------------------------------------------------------------ */
/* Version                                                                   */
/* ------------------------------------------------------------------------ */

#define TACH_VERSION_MAJOR 0
#define TACH_VERSION_MINOR 1
#define TACH_VERSION_PATCH 0
#define TACH_VERSION_STRING "0.1.0"
/* MAJOR*10000 + MINOR*100 + PATCH, comparable with tach_version_number(). */
#define TACH_VERSION_NUMBER \
    (TACH_VERSION_MAJOR * 10000 + TACH_VERSION_MINOR * 100 + TACH_VERSION_PATCH)

/* The version of the library actually loaded, e.g. "0.1.0".  Static string.
 * Thread-safe. */
TACH_API const char *tach_version(void);

/* TACH_VERSION_NUMBER of the library actually loaded.  Thread-safe. */
TACH_API int tach_version_number(void);

/* ------------------------------------------------------------------------ */
/* Status codes                                                              */
/* ------------------------------------------------------------------------ */

typedef enum tach_status {
    TACH_OK = 0,          /* success */
    TACH_ERROR = 1,       /* internal error; the message says what */
    TACH_EINVAL = 2,      /* invalid argument: NULL where not allowed, an
                             options struct of unknown size, a bad value */
    TACH_ENOTFOUND = 3,   /* a node id that was not collected, a project
                             root or worker that does not exist */
    TACH_EMISUSE = 4,     /* call out of order (e.g. tach_run_test before
                             tach_snapshot) or on an engine that failed */
    TACH_EINTERP = 5,     /* the Python interpreter is missing or unusable */
    TACH_ECOLLECT = 6,    /* pytest could not start or collect: usage error,
                             conftest.py raised at import, pytest missing */
    TACH_EWORKER = 7,     /* the worker process failed (could not start,
                             died outside a test, broke the protocol) */
    TACH_ENOMEM = 8,      /* out of memory */
    TACH_EUNSUPPORTED = 9, /* the requested isolation mode is not available
                             on this build or kernel */
    TACH_ESHUTDOWN = 10   /* tach_shutdown was called from another thread
                             while this call was running; it was stopped */
} tach_status;

/* A static, human-readable name for a status code ("TACH_EINVAL: invalid
 * argument").  Unknown codes give "unknown tach status".  Thread-safe. */
TACH_API const char *tach_strerror(int status);

/* ------------------------------------------------------------------------ */
/* What this machine allows                                                  */
/* ------------------------------------------------------------------------ */

/* Kernel features snapshot isolation needs, probed in the calling process
 * (nothing is left open).  Initialise `size` with sizeof(tach_capabilities)
 * (TACH_CAPABILITIES_INIT). */
typedef struct tach_capabilities {
    size_t size;
    char kernel_release[65];   /* uname -r */
    int userfaultfd;           /* this user may create one (USER_MODE_ONLY) */
    int uffd_wp_async;         /* UFFD_FEATURE_WP_ASYNC (Linux 6.7+) */
    int uffd_wp_unpopulated;   /* UFFD_FEATURE_WP_UNPOPULATED (6.7+) */
    int pagemap_scan;          /* the PAGEMAP_SCAN ioctl (6.7+) */
    int procmap_query;         /* the PROCMAP_QUERY ioctl (6.11+; optional,
                                  a faster way to read the mapping layout) */
    int snapshot_supported;    /* everything snapshot isolation requires */
    char reason[256];          /* why not, when snapshot_supported is 0 */
} tach_capabilities;

#define TACH_CAPABILITIES_INIT { sizeof(tach_capabilities), {0}, 0, 0, 0, 0, 0, 0, {0} }

/* Fills *out.  TACH_EINVAL if out is NULL or out->size is not a size this
 * library knows.  Thread-safe. */
TACH_API int tach_probe_capabilities(tach_capabilities *out);

/* The workers this library can start: one tach-worker per Python version it
 * was built for (meson -Dpython, -Dpythons), as listed in tach-workers.list
 * next to them.  tach_init picks the one of the interpreter's version
 * (options.python); $TACH_WORKER and options.worker_path are not listed
 * here.  Entry 0 is the default worker.  Initialise `size` with
 * sizeof(tach_worker_info) (TACH_WORKER_INFO_INIT).  The strings belong to
 * the library and stay valid while it is loaded.  Thread-safe. */
typedef struct tach_worker_info {
    size_t size;
    const char *path;            /* the tach-worker executable */
    const char *python_version;  /* the Python it embeds, "3.12.1" */
    const char *python;          /* that interpreter's executable */
} tach_worker_info;

#define TACH_WORKER_INFO_INIT { sizeof(tach_worker_info), NULL, NULL, NULL }

/* How many workers there are (0 when the list is missing). */
TACH_API size_t tach_worker_count(void);

/* Fills *out for worker `index`.  TACH_EINVAL if out is NULL or out->size
 * is unknown, TACH_ENOTFOUND if index >= tach_worker_count(). */
TACH_API int tach_worker_info_get(size_t index, tach_worker_info *out);

/* ------------------------------------------------------------------------ */
/* Engine                                                                    */
/* ------------------------------------------------------------------------ */

/* One worker (an embedded CPython that collected the project) and the
 * state the library keeps for it.  Opaque. */
typedef struct tach_engine tach_engine;

/* How each test is isolated from the others. */
typedef enum tach_isolation {
    TACH_ISOLATION_AUTO = 0,     /* the best mode available here: SNAPSHOT
                                    where the kernel and the project allow
                                    it, else FORK; decided by tach_snapshot
                                    (see tach_engine_isolation_reason) */
    TACH_ISOLATION_FORK = 1,     /* each test in a child forked from the
                                    collected interpreter (the zygote) */
    TACH_ISOLATION_NONE = 2,     /* tests run one after another in the
                                    zygote itself, as plain pytest does */
    TACH_ISOLATION_SNAPSHOT = 3  /* a worker forked from the zygote runs the
                                    tests and restores its memory and process
                                    state in place after each one
                                    (userfaultfd write-protect + PAGEMAP_SCAN,
                                    Linux 6.7+); tach_snapshot returns
                                    TACH_EUNSUPPORTED where that is not
                                    possible */
} tach_isolation;

/* Options for tach_init.  Initialise with TACH_INIT_OPTIONS_INIT (or
 * tach_init_options_init), then set the fields you need; every field has a
 * sane default.  `size` lets the struct grow: the library reads only the
 * first `size` bytes and gives later fields their defaults.  Strings are
 * copied by tach_init; the caller keeps ownership. */
typedef struct tach_init_options {
    size_t size;                 /* sizeof(tach_init_options) as compiled by
                                    the caller; set by the initialisers */

    const char *project_root;    /* directory pytest is invoked from (its
                                    cwd, hence rootdir/ini discovery and the
                                    base of relative paths).  NULL: the
                                    calling process's cwd. */
    const char *const *args;     /* pytest command-line arguments: paths,
                                    node ids, -k, -m, -p, -o, ... exactly as
                                    `python -m pytest ARGS` takes them. */
    size_t nargs;                /* number of entries in args */
    const char *python;          /* interpreter (or virtualenv python) whose
                                    environment the worker adopts; a name
                                    without '/' is looked up on $PATH.  The
                                    worker built for its Python version is
                                    used (TACH_EINTERP if there is none).
                                    NULL: the default interpreter. */
    tach_isolation isolation;    /* default TACH_ISOLATION_AUTO */
    double timeout_seconds;      /* per-test limit; <= 0: no limit.  A test
                                    over it becomes TACH_OUTCOME_TIMEOUT,
                                    with the traceback of where it was. */
    const char *worker_path;     /* tach-worker executable; NULL: found next
                                    to the library (build or install tree),
                                    or $TACH_WORKER */
    const char *shim_path;       /* directory holding the tach_shim package;
                                    NULL: found like the worker, or
                                    $TACH_SHIM_DIR */

    /* --- Added with line coverage.  A caller compiled against the
     * earlier layout (ending at shim_path) passes that smaller size and
     * gets coverage off; those are the two sizes this library accepts. */
    int coverage;                /* non-zero: record which lines of the
                                    measured files each test runs, and the
                                    lines run while collecting (see
                                    tach_result_coverage_* and
                                    tach_coverage_write).  Default 0: no
                                    tracer is installed, no cost. */
    const char *const *coverage_sources; /* directories whose .py files are
                                    measured (relative ones are taken from
                                    project_root); NULL or none: the
                                    project root.  The standard library,
                                    site-packages, pytest and tach are never
                                    measured unless a source lies inside
                                    them. */
    size_t ncoverage_sources;    /* number of entries in coverage_sources */

    /* --- Added with resource limits, the sandbox and the debugger relay
     * (the third layout).  Callers of an earlier layout get the defaults. */
    uint64_t max_worker_memory;  /* bytes of address space each worker
                                    process may use (RLIMIT_AS); a test over
                                    it fails to allocate (MemoryError) or is
                                    killed, and is reported, instead of
                                    exhausting the machine.  0: no limit;
                                    below 64 MiB: TACH_EINVAL.  A
                                    snapshot runner's reserved arena is
                                    not counted (docs/hardening.md). */
    int sandbox;                 /* non-zero: run the worker in new user,
                                    mount and network namespaces (loopback
                                    only; the file system read-only except
                                    $TMPDIR or /tmp, $TEST_TMPDIR, /dev and
                                    /proc; docs/sandbox.md).
                                    tach_init returns TACH_EUNSUPPORTED
                                    where the kernel does not allow it; it
                                    never runs unsandboxed instead. */
    int debugger;                /* non-zero: breakpoint() and pdb inside a
                                    test talk to the calling process's
                                    stdin/stdout, relayed by the engine
                                    while tach_run_test runs (stdin is read
                                    only once the test's debugger has
                                    written; from then on the test's timeout
                                    no longer applies).  Default 0:
                                    a test that reads stdin gets EOF. */

    /* --- Added with warm re-collection (the fourth layout). */
    int keep_collection_base;    /* non-zero: park the worker's state from
                                    just before collection (Python started,
                                    pytest configured, the conftest files
                                    and plugins it starts with imported) in
                                    an idle process of its own, so that
                                    tach_recollect collects again from it
                                    instead of starting all of that anew.
                                    Costs that process (its memory is shared
                                    copy-on-write with the worker) and one
                                    fork() per collection.  Default 0:
                                    tach_recollect starts a new worker. */
} tach_init_options;

#define TACH_INIT_OPTIONS_INIT \
    { sizeof(tach_init_options), NULL, NULL, 0, NULL, TACH_ISOLATION_AUTO, \
      0.0, NULL, NULL, 0, NULL, 0, 0, 0, 0, 0 }

/* Fill *opts with the defaults (same as TACH_INIT_OPTIONS_INIT).  Returns
 * TACH_EINVAL if opts is NULL.  Thread-safe.
 *
 * The struct grew three times, and a function cannot know the size of its
 * caller's struct.  So each exported initialiser keeps filling the layout
 * it was published with, as programs built against it expect:
 * tach_init_options_init the first (up to shim_path), _v2 the second (up
 * to ncoverage_sources), _v3 the third (up to debugger), _v4 the whole
 * current struct.  Code compiled against this header calls _v4 through the
 * macro below.  Callers that bind by name (dlsym, ctypes) pick the one
 * matching the struct they declare. */
TACH_API int tach_init_options_init(tach_init_options *opts);
TACH_API int tach_init_options_init_v2(tach_init_options *opts);
TACH_API int tach_init_options_init_v3(tach_init_options *opts);
TACH_API int tach_init_options_init_v4(tach_init_options *opts);
#define tach_init_options_init tach_init_options_init_v4

/* Constructor.  Start a worker for the project, import pytest and the
 * project's conftest files, and collect the tests selected by opts->args.
 * Blocks until collection is done.
 *
 * On success returns TACH_OK and sets *out to a new engine.  On failure
 * returns a status and, unlike other functions, still sets *out to an engine
 * in a failed state (or NULL if even that could not be allocated) so that
 * tach_errmsg(*out) can tell what went wrong; every later call on it
 * returns TACH_EMISUSE.  In both cases the caller owns *out and must pass
 * it to tach_shutdown.
 *
 * Collection errors in individual test files (a syntax error, an import
 * error) do not fail tach_init: they are listed by tach_collect_error_*.
 * Wrong pytest arguments and a conftest.py that raises while pytest starts
 * do (TACH_ECOLLECT, with pytest's message).
 *
 * Thread-safe with respect to other engines. */
TACH_API int tach_init(tach_engine **out, const tach_init_options *opts);

/* Destructor.  Stop the worker and every process it started, reap them and
 * free the engine with everything it owns (node id strings, messages).
 * Results obtained from the engine stay valid.  NULL is a no-op.
 *
 * Thread safety: it may be called from another thread while one call on
 * the engine (tach_snapshot, tach_restore, tach_run_test,
 * tach_coverage_write) is running, e.g. to abort a long run: it kills the
 * worker, that call returns TACH_ESHUTDOWN (a test it was running gets no
 * result), and tach_shutdown frees the engine only after that call has
 * returned.  The calling thread must make no further call on the engine
 * (not even tach_errmsg): starting a call once tach_shutdown has been
 * called is misuse, as is calling tach_shutdown twice. */
TACH_API void tach_shutdown(tach_engine *engine);

/* The message of the last failed call on this engine, or "" if the last
 * call succeeded.  Never NULL (a NULL engine gives a static message).
 * Owned by the engine; valid until the next call on it. */
TACH_API const char *tach_errmsg(const tach_engine *engine);

/* The isolation mode in effect.  AUTO is resolved by tach_snapshot (to
 * SNAPSHOT where the kernel and the project allow in-place restore, else
 * FORK); before that call this returns the mode requested. */
TACH_API tach_isolation tach_engine_isolation(const tach_engine *engine);

/* Why that mode is in effect, in one line (e.g. "fork per test: snapshot
 * isolation is unavailable here: the kernel lacks PAGEMAP_SCAN").  "" before
 * tach_snapshot.  Owned by the engine. */
TACH_API const char *tach_engine_isolation_reason(const tach_engine *engine);

/* Name of an isolation mode: "auto", "fork", "none", "snapshot".  Static
 * string; "unknown" for other values.  Thread-safe. */
TACH_API const char *tach_isolation_name(tach_isolation isolation);

/* Versions the worker reported, e.g. "3.11.2" and "7.2.1".  Owned by the
 * engine.  "" if unknown (engine failed before the worker answered). */
TACH_API const char *tach_python_version(const tach_engine *engine);
TACH_API const char *tach_pytest_version(const tach_engine *engine);

/* --- Collection ---------------------------------------------------------- */

/* Number of collected (and selected) tests.  0 for NULL or failed engines. */
TACH_API size_t tach_test_count(const tach_engine *engine);

/* Node id of the index-th collected test in pytest's order
 * ("tests/test_x.py::TestA::test_b[1-2]"), or NULL when index is out of
 * range.  Owned by the engine. */
TACH_API const char *tach_test_nodeid(const tach_engine *engine, size_t index);

/* Number of files/collectors that failed to collect. */
TACH_API size_t tach_collect_error_count(const tach_engine *engine);

/* Node id (usually a file path) and pytest's error text of the index-th
 * collection error, or NULL when index is out of range.  Owned by the
 * engine. */
TACH_API const char *tach_collect_error_nodeid(const tach_engine *engine,
                                               size_t index);
TACH_API const char *tach_collect_error_text(const tach_engine *engine,
                                             size_t index);

/* Number of tests collected but deselected (-k, -m, plugins), which
 * tach_test_count does not include. */
TACH_API size_t tach_deselected_count(const tach_engine *engine);

/* 1 if pytest, given these arguments, would stop the run because of
 * collection errors ("Interrupted: N errors during collection"), i.e.
 * there are errors and --continue-on-collection-errors was not given;
 * otherwise 0.  Running the tests anyway is allowed; the choice is the
 * caller's. */
TACH_API int tach_collection_interrupts(const tach_engine *engine);

/* Collect again, e.g. after test files changed (`tach --watch`): the
 * engine is then as tach_init left it, with the new collection: the node
 * ids, collection errors and counts above are replaced (strings obtained
 * from them before are invalidated), the coverage gathered so far is
 * dropped, and tach_snapshot must be called again before tests run.
 *
 * `paths` (npaths entries; relative ones are taken from the project root)
 * are collected in place of the paths and node ids options.args gave;
 * the options in options.args (-k, -m, -p, ...) stay in force.  npaths 0:
 * the paths of options.args again (or pytest's testpaths / the root when
 * it had none).
 *
 * With options.keep_collection_base, the tests are collected in a new
 * worker forked from the parked pre-collection state, as long as no file
 * that state was built from (a module imported before collection: conftest
 * files, plugins, project modules they import; the ini file) changed since
 * and no conftest.py appeared where pytest looked for one at start.
 * Otherwise, and without that option, a new worker is started (as
 * tach_init does).  *reused (may be NULL) tells which: 1 or 0; and
 * tach_recollect_reason why not.
 *
 * Returns TACH_OK; or, leaving the engine as it was: TACH_EINVAL (NULL
 * engine; NULL paths with npaths > 0; a NULL or empty entry),
 * TACH_ENOTFOUND (a path, or a node id's file, that does not exist),
 * TACH_EMISUSE (a failed engine; a tach_runner of the engine is still
 * open: close them first); or what tach_init returns when collecting
 * fails (TACH_EWORKER, TACH_ECOLLECT, ...), after which the engine is in a
 * failed state, as after a failed tach_init.  Collection errors in test
 * files are not failures (tach_collect_error_*).
 *
 * Thread safety: as tach_snapshot (one call on the engine at a time;
 * tach_shutdown from another thread stops it with TACH_ESHUTDOWN); no
 * tach_runner_open may run meanwhile (a runner needs tach_snapshot after
 * it anyway). */
TACH_API int tach_recollect(tach_engine *engine, const char *const *paths, size_t npaths, int *reused);

/* Why the last tach_recollect started a new worker instead of reusing the
 * parked state (e.g. "tests/conftest.py changed since the worker started",
 * "the engine was started without keep_collection_base"); "" when it reused
 * it or before any tach_recollect.  Never NULL; owned by the engine, valid
 * until the next tach_recollect. */
TACH_API const char *tach_recollect_reason(const tach_engine *engine);

/* pytest's python_files setting for this project (which files are test
 * modules, e.g. "test_*.py", "*_test.py"): the number of patterns, and the
 * index-th (NULL when out of range).  pytest matches a pattern without '/'
 * against a file's name, one with '/' against its path.  0 / NULL for NULL
 * or failed engines.  Owned by the engine; valid until tach_recollect or
 * tach_shutdown. */
TACH_API size_t tach_python_files_count(const tach_engine *engine);
TACH_API const char *tach_python_files_pattern(const tach_engine *engine, size_t index);

/* --- Running ------------------------------------------------------------- */

/* Make the current state of the worker (tests collected, project imported)
 * the golden image every test starts from, and settle the isolation mode
 * (AUTO becomes SNAPSHOT or FORK).  Must be called once, after tach_init
 * and before the first tach_run_test; later calls are no-ops that return
 * TACH_OK.  With TACH_ISOLATION_SNAPSHOT requested explicitly, returns
 * TACH_EUNSUPPORTED (and the reason) where in-place restore is impossible:
 * an old kernel, userfaultfd forbidden, or threads running in the worker
 * after collection. */
TACH_API int tach_snapshot(tach_engine *engine);

/* One test's result.  Opaque; owned by the caller, freed with
 * tach_result_free. */
typedef struct tach_result tach_result;

/* Run the collected test `nodeid` (as listed by tach_test_nodeid) through
 * pytest's own run-test protocol: its fixtures (in FORK and SNAPSHOT
 * isolation every scope is set up for this test and torn down after it; in
 * NONE they live on as under pytest), markers, skip/xfail, capture.
 * Blocks until the test finished, crashed or timed out, and in SNAPSHOT
 * isolation until the worker has restored itself (or been replaced).
 *
 * Returns TACH_OK and sets *out to a new result whatever the test's
 * outcome, including crashes and timeouts (the worker is then replaced
 * before the next test).  Returns TACH_ENOTFOUND for a node id that was not
 * collected, TACH_EMISUSE before tach_snapshot, TACH_EWORKER when the worker
 * failed outside the test and could not be replaced.
 *
 * In TACH_ISOLATION_FORK the test runs in a fresh child of the zygote, so
 * the zygote is already pristine afterwards; in TACH_ISOLATION_SNAPSHOT the
 * worker has restored itself before this returns; in TACH_ISOLATION_NONE
 * the test's side effects stay in the worker.
 */
TACH_API int tach_run_test(tach_engine *engine, const char *nodeid,
                           tach_result **out);

/* Put the worker back to the golden image after a test.  Calling it after
 * each tach_run_test is always correct and costs nothing: a snapshot worker
 * restores itself before tach_run_test returns (so that the result can carry
 * the restore's statistics), FORK mode never touches the zygote, and NONE
 * mode by definition keeps side effects.  TACH_EMISUSE before
 * tach_snapshot. */
TACH_API int tach_restore(tach_engine *engine);

/* --- Parallel runners ---------------------------------------------------- */

/* A runner: one more worker process forked from the engine's collected
 * interpreter (the zygote), with a private connection to the library, so
 * that several tests run at once — one per runner — without collecting
 * again.  Each runner isolates every test in the engine's isolation mode
 * (SNAPSHOT: it restores itself in place after each test; FORK: each test
 * in a fresh child of the runner; NONE: tests run one after another in the
 * runner and share its state).  A runner whose process died with a test
 * (crash, timeout) is replaced before its next test.  Its stdout/stderr
 * capture, its stderr and its timeout traceback are its own.  Opaque; owned
 * by the caller, freed with tach_runner_close. */
typedef struct tach_runner tach_runner;

/* Start a runner on an engine on which tach_snapshot succeeded; blocks
 * until it is ready (in SNAPSHOT isolation: until it took its golden
 * image).  Sets *out to a new runner and returns TACH_OK.  Returns
 * TACH_EINVAL (and leaves *out alone) when engine or out is NULL.  Other
 * failures — TACH_EMISUSE before tach_snapshot or on a failed engine,
 * TACH_EWORKER when the worker cannot fork it or it dies before it is
 * ready — still set *out, as tach_init does, to a runner in a failed
 * state whose tach_runner_errmsg says why (NULL when even that could not be
 * allocated: TACH_ENOMEM); every tach_runner_run_test on it returns
 * TACH_EMISUSE; the caller closes it.  tach_errmsg(engine) is not touched.
 * Thread-safe: may be called from any thread, also while other runners of
 * the engine run tests and while engine-level calls run. */
TACH_API int tach_runner_open(tach_engine *engine, tach_runner **out);

/* tach_run_test on this runner: the same contract, results and statuses,
 * except that the message of a failure is tach_runner_errmsg(runner).
 * One thread at a time per runner; different runners of one engine may
 * run tests at the same time, also while the engine runs one
 * (tach_run_test).  With options.coverage, the lines of every result
 * returned by any runner accumulate in the engine's coverage
 * (tach_coverage_write).  TACH_EMISUSE after tach_shutdown of the engine
 * (the runner is then only good for tach_runner_close).
 * In NONE isolation note that tach_run_test on the engine itself runs its
 * tests in the zygote, which later runners are forked from. */
TACH_API int tach_runner_run_test(tach_runner *runner, const char *nodeid, tach_result **out);

/* The message of the last failed call on this runner, "" if it succeeded.
 * Never NULL.  Owned by the runner; valid until its next call. */
TACH_API const char *tach_runner_errmsg(const tach_runner *runner);

/* Stop the runner's process and free the runner.  Results it returned stay
 * valid.  NULL is a no-op.  May be called before or after tach_shutdown of
 * its engine (tach_shutdown stops the processes of runners still open;
 * they must still be closed to be freed), but not at the same time as it,
 * nor while another thread uses the runner. */
TACH_API void tach_runner_close(tach_runner *runner);

/* --- Results ------------------------------------------------------------- */

typedef enum tach_outcome {
    TACH_OUTCOME_PASSED = 0,
    TACH_OUTCOME_FAILED = 1,   /* the test body failed (incl. strict xpass) */
    TACH_OUTCOME_SKIPPED = 2,
    TACH_OUTCOME_XFAILED = 3,  /* failed as expected by an xfail marker */
    TACH_OUTCOME_XPASSED = 4,  /* passed despite a non-strict xfail marker */
    TACH_OUTCOME_ERROR = 5,    /* a fixture's setup failed (a failing
                                  teardown is reported beside the outcome:
                                  tach_result_teardown_failed) */
    TACH_OUTCOME_CRASHED = 6,  /* the process running the test died: a
                                  signal (tach_result_signal) or _exit */
    TACH_OUTCOME_TIMEOUT = 7   /* over the per-test time limit; killed */
} tach_outcome;

/* Lower-case name: "passed", "failed", "skipped", "xfailed", "xpassed",
 * "error", "crashed", "timeout"; "unknown" otherwise.  Static string.
 * Thread-safe. */
TACH_API const char *tach_outcome_name(tach_outcome outcome);

/* Accessors.  All take a result returned by tach_run_test; strings are
 * owned by the result and never NULL ("" when empty).  A NULL result gives
 * "", 0, TACH_OUTCOME_ERROR, or -1 for tach_result_exit_status. */
TACH_API const char *tach_result_nodeid(const tach_result *result);
TACH_API tach_outcome tach_result_outcome(const tach_result *result);
/* Wall time in seconds of setup + call + teardown (of the whole child for
 * crashes and timeouts). */
TACH_API double tach_result_duration(const tach_result *result);
/* The phase that decided the outcome: "setup", "call" or "teardown". */
TACH_API const char *tach_result_phase(const tach_result *result);
/* Full failure text as pytest prints it (longrepr, with the rewritten
 * assertion message) of the phase that decided the outcome; for crashes and
 * timeouts the worker's own account (signal, exit status, traceback of
 * where a timed-out test was stuck).  A failing teardown's text is apart:
 * tach_result_teardown_longrepr. */
TACH_API const char *tach_result_longrepr(const tach_result *result);
/* Short reason: the skip or xfail reason, or the exception's message as
 * pytest's short summary shows it (an assertion's message may span lines). */
TACH_API const char *tach_result_message(const tach_result *result);
/* Output the test wrote to stdout / stderr, as pytest captured it (all
 * phases concatenated); for crashes, what the dying process wrote (in
 * TACH_ISOLATION_NONE the capture dies with the worker: only what reached
 * the worker's own stderr is kept). */
TACH_API const char *tach_result_stdout(const tach_result *result);
TACH_API const char *tach_result_stderr(const tach_result *result);
/* The signal that ended a crashed or timed-out test, else 0. */
TACH_API int tach_result_signal(const tach_result *result);
/* The exit status of a test process that called exit/_exit, or -1. */
TACH_API int tach_result_exit_status(const tach_result *result);
/* 1 if the test's teardown failed, else 0.  As under pytest, this does not
 * change tach_result_outcome (a test can be "passed" or "failed" and still
 * have a failing teardown); it counts as one more error. */
TACH_API int tach_result_teardown_failed(const tach_result *result);
/* The failing teardown's text and one-line message ("" if it did not
 * fail). */
TACH_API const char *tach_result_teardown_longrepr(const tach_result *result);
TACH_API const char *tach_result_teardown_message(const tach_result *result);

/* --- Isolation statistics of a result (snapshot isolation) --------------- */

/* Pages copied back from the golden image after this test (0 outside
 * TACH_ISOLATION_SNAPSHOT). */
TACH_API uint64_t tach_result_pages_restored(const tach_result *result);
/* Seconds the in-place restore after this test took (0 outside snapshot
 * isolation or when the worker was replaced instead). */
TACH_API double tach_result_restore_seconds(const tach_result *result);
/* 1 if the worker could not be restored exactly after this test and was
 * replaced by a fresh one (a thread left running, a crash, a timeout, ...);
 * tach_result_replace_reason says why.  The next test is unaffected. */
TACH_API int tach_result_worker_replaced(const tach_result *result);
TACH_API const char *tach_result_replace_reason(const tach_result *result);

/* --- Line coverage of a result (engines with options.coverage set) ------- */

/* The lines this test ran (setup, call and teardown of its fixtures
 * included), by file.  Files are absolute, resolved paths in byte order;
 * only files with at least one line are listed.  A line is reported where
 * CPython reported a line event, so a statement spanning several lines may
 * show more than its first line (reports count it once, at its first
 * line).  0 files when coverage is off, and for crashed and timed-out
 * tests: the lines they ran died with their process.  Lines run in
 * threads the test started are not recorded. */
TACH_API size_t tach_result_coverage_file_count(const tach_result *result);
/* The index-th file's absolute path, or NULL when index is out of range.
 * Owned by the result. */
TACH_API const char *tach_result_coverage_file(const tach_result *result, size_t index);
/* The index-th file's line numbers (1-based, ascending, unique): returns
 * how many and, when `lines` is not NULL, points *lines at them (owned by
 * the result; NULL when there are none).  0 when index is out of range. */
TACH_API size_t tach_result_coverage_lines(const tach_result *result, size_t index,
                                           const uint32_t **lines);

/* Destructor.  NULL is a no-op. */
TACH_API void tach_result_free(tach_result *result);

/* ------------------------------------------------------------------------ */
/* Coverage reports                                                          */
/* ------------------------------------------------------------------------ */

typedef enum tach_coverage_format {
    TACH_COVERAGE_LCOV = 0,       /* LCOV tracefile (genhtml, bazel) */
    TACH_COVERAGE_COBERTURA = 1,  /* Cobertura XML, as `coverage xml` */
    TACH_COVERAGE_JSON = 2,       /* coverage.py's `coverage json` */
    TACH_COVERAGE_TEXT = 3,       /* coverage.py's terminal table */
    TACH_COVERAGE_TEXT_MISSING = 4 /* the same with the Missing column
                                      (coverage report -m, term-missing) */
} tach_coverage_format;

/* Write the line coverage accumulated by this engine so far — the lines run
 * while collecting (context "collection") and those of every test whose
 * result tach_run_test returned (context: its node id) — to the file
 * `path` (created or truncated) in format `fmt`.  with_contexts non-zero:
 * the JSON report lists, for each executed line, the contexts that ran it
 * (other formats ignore it).
 *
 * The worker is asked for the executable statements of every file with
 * executed lines and of every importable .py file under the coverage
 * sources, so files never imported show 0%.  Executed lines are counted at
 * the first line of their statement.  Crashed and timed-out tests
 * contribute nothing (their process died with what it recorded).
 *
 * May be called any number of times, before or after tests run (each call
 * writes everything so far).  Returns TACH_EMISUSE if the engine was not
 * initialised with options.coverage, TACH_EINVAL for a NULL path or an
 * unknown format, TACH_ERROR when the file cannot be written, TACH_EWORKER
 * when the worker cannot answer. */
TACH_API int tach_coverage_write(tach_engine *engine, tach_coverage_format fmt, const char *path,
                                 int with_contexts);

#ifdef __cplusplus
}
#endif

#endif /* TACH_H */
