/*
 * test_runners.c — tach_runner (include/tach.h, "Parallel runners"):
 * several threads each running tests on a runner of one engine.
 *
 * Groups: fork, snapshot (skipped where in-place restore is unavailable),
 * none, misuse.  The fixtures are tests/fixtures/basic (one test per
 * outcome) and tests/fixtures/parallel, whose rendezvous tests pass only
 * when two of them run at the same time.
 */
#include "api_fixture.h"

#include <pthread.h>

#define PARALLEL_DIR TACH_TEST_FIXTURES "/parallel"

static tach_isolation g_isolation = TACH_ISOLATION_FORK;

static tach_engine *start_engine(const char *root, const char *const *args, size_t nargs, int coverage) {
    tach_init_options opts = fixture_options(root, g_isolation);
    opts.args = args;
    opts.nargs = nargs;
    opts.coverage = coverage;
    tach_engine *engine = NULL;
    int status = tach_init(&engine, &opts);
    if (status != TACH_OK) fail_msg("tach_init: %s", tach_errmsg(engine));
    status = tach_snapshot(engine);
    if (status != TACH_OK) fail_msg("tach_snapshot: %s", tach_errmsg(engine));
    return engine;
}

static tach_runner *open_runner(tach_engine *engine) {
    tach_runner *runner = NULL;
    int status = tach_runner_open(engine, &runner);
    if (status != TACH_OK) fail_msg("tach_runner_open: %s: %s", tach_strerror(status), tach_runner_errmsg(runner));
    assert_non_null(runner);
    return runner;
}

/* A fresh directory for the rendezvous files, named in the environment the
 * next worker inherits. */
static void fresh_rendezvous(char *dir, size_t size) {
    snprintf(dir, size, "%s/tach-runners-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(dir));
    setenv("TACH_RENDEZVOUS_DIR", dir, 1);
    setenv("TACH_RENDEZVOUS_SECONDS", "20", 1);
}

static void remove_rendezvous(const char *dir) {
    char path[512];
    const char *names[] = {"a", "b"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* ---- a shared queue of tests, drained by one thread per runner --------- */

typedef struct job {
    const char *nodeid;
    tach_outcome want;
    int received;          /* how many results came back for it */
    tach_outcome got;
    char error[256];
} job;

typedef struct queue {
    pthread_mutex_t mutex;
    job *jobs;
    size_t count;
    size_t next;
    tach_engine *engine;
    int open_failures;
    char open_error[256];
} queue;

static void *drain_queue(void *arg) {
    queue *q = arg;
    tach_runner *runner = NULL;
    if (tach_runner_open(q->engine, &runner) != TACH_OK) {
        pthread_mutex_lock(&q->mutex);
        q->open_failures++;
        snprintf(q->open_error, sizeof q->open_error, "%s", tach_runner_errmsg(runner));
        pthread_mutex_unlock(&q->mutex);
        tach_runner_close(runner);
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&q->mutex);
        size_t i = q->next < q->count ? q->next++ : SIZE_MAX;
        pthread_mutex_unlock(&q->mutex);
        if (i == SIZE_MAX) break;
        job *j = &q->jobs[i];
        tach_result *r = NULL;
        int status = tach_runner_run_test(runner, j->nodeid, &r);
        if (status != TACH_OK) {
            snprintf(j->error, sizeof j->error, "%s: %s", tach_strerror(status), tach_runner_errmsg(runner));
            continue;
        }
        __atomic_add_fetch(&j->received, 1, __ATOMIC_SEQ_CST);
        j->got = tach_result_outcome(r);
        if (strcmp(tach_result_nodeid(r), j->nodeid) != 0)
            snprintf(j->error, sizeof j->error, "result for %s, not %s", tach_result_nodeid(r), j->nodeid);
        tach_result_free(r);
    }
    tach_runner_close(runner);
    return NULL;
}

static void run_queue(tach_engine *engine, job *jobs, size_t count, int threads) {
    queue q = {.jobs = jobs, .count = count, .engine = engine};
    pthread_mutex_init(&q.mutex, NULL);
    pthread_t tids[8];
    fflush(stdout);
    for (int i = 0; i < threads; i++) assert_int_equal(pthread_create(&tids[i], NULL, drain_queue, &q), 0);
    for (int i = 0; i < threads; i++) pthread_join(tids[i], NULL);
    pthread_mutex_destroy(&q.mutex);
    if (q.open_failures) fail_msg("%d runner(s) failed to open: %s", q.open_failures, q.open_error);
    for (size_t i = 0; i < count; i++) {
        if (jobs[i].error[0]) fail_msg("job %zu (%s): %s", i, jobs[i].nodeid, jobs[i].error);
        if (jobs[i].received != 1) fail_msg("job %zu (%s): %d results", i, jobs[i].nodeid, jobs[i].received);
        if (jobs[i].got != jobs[i].want)
            fail_msg("job %zu (%s): %s, expected %s", i, jobs[i].nodeid, tach_outcome_name(jobs[i].got),
                     tach_outcome_name(jobs[i].want));
    }
}

/* Three threads, a runner each, drain every outcome of the basic fixture
 * twice (crashes and _exit included); each result arrives exactly once,
 * for the right test, with its outcome. */
static void test_queue_of_every_outcome(void **state) {
    (void)state;
    tach_engine *engine = start_engine(BASIC_DIR, NULL, 0, 0);
    static const struct {
        const char *name;
        tach_outcome want;
    } tests[] = {
        {NODE("test_passes"), TACH_OUTCOME_PASSED},   {NODE("test_fails"), TACH_OUTCOME_FAILED},
        {NODE("test_skipped"), TACH_OUTCOME_SKIPPED}, {NODE("test_xfail"), TACH_OUTCOME_XFAILED},
        {NODE("test_xpass"), TACH_OUTCOME_XPASSED},   {NODE("test_error_in_fixture"), TACH_OUTCOME_ERROR},
        {NODE("test_prints"), TACH_OUTCOME_PASSED},   {NODE("test_crashes"), TACH_OUTCOME_CRASHED},
        {NODE("test_exits"), TACH_OUTCOME_CRASHED},   {NODE("test_state_appends"), TACH_OUTCOME_PASSED},
    };
    enum { kTests = sizeof tests / sizeof tests[0], kRounds = 2 };
    job jobs[kTests * kRounds];
    memset(jobs, 0, sizeof jobs);
    for (size_t i = 0; i < kTests * kRounds; i++) {
        jobs[i].nodeid = tests[i % kTests].name;
        jobs[i].want = tests[i % kTests].want;
        jobs[i].got = (tach_outcome)-1;
    }
    run_queue(engine, jobs, kTests * kRounds, 3);
    tach_shutdown(engine);
    assert_no_children();
}

/* The two halves of a rendezvous on two runners in two threads: they pass
 * only if they run at the same time. */
typedef struct meet_job {
    tach_runner *runner;
    const char *nodeid;
    tach_outcome got;
    char error[256];
} meet_job;

static void *meet_thread(void *arg) {
    meet_job *m = arg;
    tach_result *r = NULL;
    if (tach_runner_run_test(m->runner, m->nodeid, &r) != TACH_OK) {
        snprintf(m->error, sizeof m->error, "%s", tach_runner_errmsg(m->runner));
        return NULL;
    }
    m->got = tach_result_outcome(r);
    if (m->got != TACH_OUTCOME_PASSED)
        snprintf(m->error, sizeof m->error, "%s: %s", tach_outcome_name(m->got), tach_result_longrepr(r));
    tach_result_free(r);
    return NULL;
}

static void meet_on(tach_runner *a, tach_runner *b) {
    meet_job jobs[2] = {{a, "test_parallel.py::test_meet_a", TACH_OUTCOME_ERROR, ""},
                        {b, "test_parallel.py::test_meet_b", TACH_OUTCOME_ERROR, ""}};
    pthread_t tids[2];
    fflush(stdout);
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&tids[i], NULL, meet_thread, &jobs[i]), 0);
    for (int i = 0; i < 2; i++) pthread_join(tids[i], NULL);
    for (int i = 0; i < 2; i++)
        if (jobs[i].error[0]) fail_msg("%s: %s", jobs[i].nodeid, jobs[i].error);
}

static void test_rendezvous_runs_at_once(void **state) {
    (void)state;
    char dir[256];
    fresh_rendezvous(dir, sizeof dir);
    tach_engine *engine = start_engine(PARALLEL_DIR, NULL, 0, 0);
    tach_runner *a = open_runner(engine);
    tach_runner *b = open_runner(engine);
    meet_on(a, b);
    tach_runner_close(a);
    tach_runner_close(b);
    tach_shutdown(engine);
    remove_rendezvous(dir);
    assert_no_children();
}

/* Closing a runner and opening another; results of a closed runner stay
 * valid; the engine's own tach_run_test keeps working beside runners. */
static void test_close_and_reopen(void **state) {
    (void)state;
    tach_engine *engine = start_engine(BASIC_DIR, NULL, 0, 0);
    tach_runner *first = open_runner(engine);
    tach_result *kept = NULL;
    assert_int_equal(tach_runner_run_test(first, NODE("test_prints"), &kept), TACH_OK);
    tach_runner_close(first);
    assert_string_equal(tach_result_nodeid(kept), NODE("test_prints"));
    assert_non_null(strstr(tach_result_stdout(kept), "hello from stdout"));
    tach_result_free(kept);
    for (int round = 0; round < 3; round++) {
        tach_runner *r = open_runner(engine);
        tach_result *res = NULL;
        assert_int_equal(tach_runner_run_test(r, NODE("test_state_appends"), &res), TACH_OK);
        assert_int_equal(tach_result_outcome(res), TACH_OUTCOME_PASSED);
        tach_result_free(res);
        tach_runner_close(r);
    }
    tach_result *own = NULL;
    assert_int_equal(tach_run_test(engine, NODE("test_passes"), &own), TACH_OK);
    assert_int_equal(tach_result_outcome(own), TACH_OUTCOME_PASSED);
    tach_result_free(own);
    tach_shutdown(engine);
    assert_no_children();
}

/* A crash in one runner, while another runs a test, leaves the other's
 * result alone; the crashed runner is replaced and serves the next test.
 * Captured output stays with its own test. */
typedef struct loop_job {
    tach_runner *runner;
    const char *nodeid;
    tach_outcome want;
    const char *stdout_part;
    int rounds;
    char error[512];
} loop_job;

static void *loop_thread(void *arg) {
    loop_job *l = arg;
    for (int i = 0; i < l->rounds && !l->error[0]; i++) {
        tach_result *r = NULL;
        if (tach_runner_run_test(l->runner, l->nodeid, &r) != TACH_OK) {
            snprintf(l->error, sizeof l->error, "round %d: %s", i, tach_runner_errmsg(l->runner));
            break;
        }
        if (tach_result_outcome(r) != l->want)
            snprintf(l->error, sizeof l->error, "round %d: %s: %s", i, tach_outcome_name(tach_result_outcome(r)),
                     tach_result_longrepr(r));
        else if (l->stdout_part && !strstr(tach_result_stdout(r), l->stdout_part))
            snprintf(l->error, sizeof l->error, "round %d: stdout %s", i, tach_result_stdout(r));
        else if (!l->stdout_part && strstr(tach_result_stdout(r), "hello from stdout"))
            snprintf(l->error, sizeof l->error, "round %d: another test's output: %s", i, tach_result_stdout(r));
        tach_result_free(r);
    }
    return NULL;
}

static void test_crash_does_not_disturb_other_runner(void **state) {
    (void)state;
    tach_engine *engine = start_engine(BASIC_DIR, NULL, 0, 0);
    loop_job jobs[3] = {
        {open_runner(engine), NODE("test_crashes"), TACH_OUTCOME_CRASHED, NULL, 4, ""},
        {open_runner(engine), NODE("test_prints"), TACH_OUTCOME_PASSED, "hello from stdout", 8, ""},
        {open_runner(engine), NODE("test_passes"), TACH_OUTCOME_PASSED, NULL, 8, ""},
    };
    pthread_t tids[3];
    fflush(stdout);
    for (int i = 0; i < 3; i++) assert_int_equal(pthread_create(&tids[i], NULL, loop_thread, &jobs[i]), 0);
    for (int i = 0; i < 3; i++) pthread_join(tids[i], NULL);
    for (int i = 0; i < 3; i++)
        if (jobs[i].error[0]) fail_msg("%s: %s", jobs[i].nodeid, jobs[i].error);
    /* The runner that crashed four times still serves. */
    tach_result *r = NULL;
    assert_int_equal(tach_runner_run_test(jobs[0].runner, NODE("test_passes"), &r), TACH_OK);
    assert_int_equal(tach_result_outcome(r), TACH_OUTCOME_PASSED);
    tach_result_free(r);
    for (int i = 0; i < 3; i++) tach_runner_close(jobs[i].runner);
    tach_shutdown(engine);
    assert_no_children();
}

/* Coverage: lines of tests run on runners accumulate into the engine. */
static void test_coverage_from_runners(void **state) {
    (void)state;
    tach_engine *engine = start_engine(BASIC_DIR, NULL, 0, 1);
    tach_runner *a = open_runner(engine);
    tach_runner *b = open_runner(engine);
    tach_result *r = NULL;
    assert_int_equal(tach_runner_run_test(a, NODE("test_passes"), &r), TACH_OK);
    assert_true(tach_result_coverage_file_count(r) > 0);
    tach_result_free(r);
    assert_int_equal(tach_runner_run_test(b, NODE("test_fails"), &r), TACH_OK);
    tach_result_free(r);
    char path[256];
    snprintf(path, sizeof path, "%s/tach-runners-cov-%d.json", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (int)getpid());
    assert_int_equal(tach_coverage_write(engine, TACH_COVERAGE_JSON, path, 1), TACH_OK);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    unlink(path);
    text[n] = '\0';
    if (!strstr(text, "test_basic.py::test_passes") || !strstr(text, "test_basic.py::test_fails"))
        fail_msg("both runners' tests should be contexts of the report:\n%.2000s", text);
    tach_runner_close(a);
    tach_runner_close(b);
    tach_shutdown(engine);
}

/* ---- misuse ---------------------------------------------------------------- */

static void test_misuse(void **state) {
    (void)state;
    tach_runner *runner = (tach_runner *)(uintptr_t)0x1;
    assert_int_equal(tach_runner_open(NULL, &runner), TACH_EINVAL);
    assert_ptr_equal(runner, (tach_runner *)(uintptr_t)0x1);
    tach_runner_close(NULL);
    assert_non_null(tach_runner_errmsg(NULL));
    tach_result *r = NULL;
    assert_int_equal(tach_runner_run_test(NULL, NODE("test_passes"), &r), TACH_EINVAL);

    /* Before tach_snapshot. */
    tach_init_options opts = TACH_INIT_OPTIONS_INIT;
    opts.project_root = BASIC_DIR;
    opts.isolation = TACH_ISOLATION_FORK;
    tach_engine *engine = NULL;
    assert_int_equal(tach_init(&engine, &opts), TACH_OK);
    assert_int_equal(tach_runner_open(engine, NULL), TACH_EINVAL);
    runner = NULL;
    assert_int_equal(tach_runner_open(engine, &runner), TACH_EMISUSE);
    /* A failed runner, as tach_init's failed engine: it says why, refuses
     * to run, and is closed; the engine's message is untouched. */
    assert_non_null(runner);
    assert_non_null(strstr(tach_runner_errmsg(runner), "tach_snapshot"));
    assert_string_equal(tach_errmsg(engine), "");
    r = NULL;
    assert_int_equal(tach_runner_run_test(runner, NODE("test_passes"), &r), TACH_EMISUSE);
    assert_null(r);
    assert_non_null(strstr(tach_runner_errmsg(runner), "failed to open"));
    tach_runner_close(runner);
    assert_int_equal(tach_snapshot(engine), TACH_OK);

    runner = open_runner(engine);
    assert_int_equal(tach_runner_run_test(runner, NULL, &r), TACH_EINVAL);
    assert_int_equal(tach_runner_run_test(runner, NODE("test_passes"), NULL), TACH_EINVAL);
    assert_int_equal(tach_runner_run_test(runner, "no_such_test.py::nothing", &r), TACH_ENOTFOUND);
    assert_null(r);
    assert_non_null(strstr(tach_runner_errmsg(runner), "not a collected test"));
    /* A runner's failure leaves the engine's message alone. */
    assert_string_equal(tach_errmsg(engine), "");
    assert_int_equal(tach_runner_run_test(runner, NODE("test_passes"), &r), TACH_OK);
    assert_string_equal(tach_runner_errmsg(runner), "");
    tach_result_free(r);
    r = NULL;

    /* The engine shut down under an open runner: refused, then closed. */
    tach_shutdown(engine);
    assert_no_children();
    assert_int_equal(tach_runner_run_test(runner, NODE("test_passes"), &r), TACH_EMISUSE);
    assert_null(r);
    assert_non_null(strstr(tach_runner_errmsg(runner), "shut down"));
    tach_runner_close(runner);

    /* A failed engine. */
    opts.project_root = "/nonexistent/tach/project";
    engine = NULL;
    assert_int_not_equal(tach_init(&engine, &opts), TACH_OK);
    runner = NULL;
    assert_int_equal(tach_runner_open(engine, &runner), TACH_EMISUSE);
    assert_non_null(runner);
    assert_non_null(strstr(tach_runner_errmsg(runner), "failed to initialise"));
    tach_runner_close(runner);
    tach_shutdown(engine);
}

int main(int argc, char **argv) {
    const char *group = argc > 1 ? argv[1] : "fork";
    const struct CMUnitTest modes[] = {
        cmocka_unit_test(test_rendezvous_runs_at_once),
        cmocka_unit_test(test_queue_of_every_outcome),
        cmocka_unit_test(test_crash_does_not_disturb_other_runner),
        cmocka_unit_test(test_close_and_reopen),
        cmocka_unit_test(test_coverage_from_runners),
    };
    const struct CMUnitTest none_mode[] = {
        cmocka_unit_test(test_rendezvous_runs_at_once),
        cmocka_unit_test(test_crash_does_not_disturb_other_runner),
    };
    const struct CMUnitTest misuse[] = {
        cmocka_unit_test(test_misuse),
    };
    if (!strcmp(group, "fork")) {
        g_isolation = TACH_ISOLATION_FORK;
        return cmocka_run_group_tests_name("runners-fork", modes, NULL, NULL);
    }
    if (!strcmp(group, "snapshot")) {
        g_isolation = TACH_ISOLATION_SNAPSHOT;
        return cmocka_run_group_tests_name("runners-snapshot", modes, skip_without_snapshot, NULL);
    }
    if (!strcmp(group, "none")) {
        g_isolation = TACH_ISOLATION_NONE;
        return cmocka_run_group_tests_name("runners-none", none_mode, NULL, NULL);
    }
    if (!strcmp(group, "misuse")) return cmocka_run_group_tests_name("runners-misuse", misuse, NULL, NULL);
    fprintf(stderr, "unknown group %s\n", group);
    return 2;
}
