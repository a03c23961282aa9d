/* Fault injection through the C API, in process: every case also checks
 * that the host's descriptors and child processes are back to what they
 * were before tach_init (nothing leaks).
 *
 *   test_faults GROUP     GROUP: shutdown-thread-fork, shutdown-thread-snapshot,
 *                         kill-zygote, fake-worker, memory-limit
 */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tach.h"

#define FIXTURE TACH_TEST_FIXTURES "/hardening"

static char faults_dir[256];

static int count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n - 1; /* the DIR's own descriptor */
}

/* Processes whose parent is this process. */
static int count_children(void) {
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *e;
    char path[300], buf[512];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        char *close_paren = strrchr(buf, ')');
        int ppid = 0;
        char state;
        if (close_paren && sscanf(close_paren + 2, "%c %d", &state, &ppid) == 2 && ppid == getpid()) n++;
    }
    closedir(d);
    return n;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int init_engine(tach_engine **e, tach_isolation isolation, uint64_t max_memory, const char *worker) {
    static const char *args[] = {"-p", "no:cacheprovider", "test_faults.py"};
    tach_init_options opts;
    tach_init_options_init(&opts);
    opts.project_root = FIXTURE;
    opts.args = args;
    opts.nargs = 3;
    opts.isolation = isolation;
    opts.max_worker_memory = max_memory;
    opts.worker_path = worker;
    return tach_init(e, &opts);
}

static const char *nodeid(const char *name) {
    static char buf[128];
    snprintf(buf, sizeof buf, "test_faults.py::%s", name);
    return buf;
}

static int fds_before, children_before;

static int setup(void **state) {
    (void)state;
    snprintf(faults_dir, sizeof faults_dir, "/tmp/tach-faults-XXXXXX");
    assert_non_null(mkdtemp(faults_dir));
    setenv("TACH_FAULTS_DIR", faults_dir, 1);
    fds_before = count_fds();
    children_before = count_children();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/started", faults_dir);
    unlink(path);
    rmdir(faults_dir);
    return 0;
}

static void assert_nothing_left(void) {
    assert_int_equal(count_fds(), fds_before);
    assert_int_equal(count_children(), children_before);
}

/* ---- tach_shutdown from another thread while tach_run_test runs ---- */

struct runner_arg {
    tach_engine *engine;
    int status;
    double returned_at;
};

static void *run_sleeper(void *p) {
    struct runner_arg *a = p;
    tach_result *r = NULL;
    a->status = tach_run_test(a->engine, nodeid("test_sleep_marked"), &r);
    a->returned_at = now();
    tach_result_free(r);
    return NULL;
}

static void shutdown_while_running(tach_isolation isolation) {
    tach_engine *e = NULL;
    int status = init_engine(&e, isolation, 0, NULL);
    assert_int_equal(status, TACH_OK);
    status = tach_snapshot(e);
    if (status == TACH_EUNSUPPORTED) {
        tach_shutdown(e);
        skip();
    }
    assert_int_equal(status, TACH_OK);
    struct runner_arg arg = {e, -1, 0};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, run_sleeper, &arg), 0);
    char started[300];
    snprintf(started, sizeof started, "%s/started", faults_dir);
    struct stat st;
    double deadline = now() + 60;
    while (stat(started, &st) != 0 && now() < deadline) usleep(10000);
    assert_true(stat(started, &st) == 0);
    double t0 = now();
    tach_shutdown(e); /* stops the test; returns after run_sleeper's call did */
    double t1 = now();
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_int_equal(arg.status, TACH_ESHUTDOWN);
    /* That the call was over before the engine was freed is what the
     * sanitizer build (scripts/sanitize.sh) checks: a use after free. */
    assert_true(t1 - t0 < 10.0); /* not the test's 60 s */
    assert_string_equal(tach_strerror(TACH_ESHUTDOWN),
                        "TACH_ESHUTDOWN: tach_shutdown was called during the call");
    assert_nothing_left();
}

static void test_shutdown_thread_fork(void **state) {
    (void)state;
    shutdown_while_running(TACH_ISOLATION_FORK);
}

static void test_shutdown_thread_snapshot(void **state) {
    (void)state;
    shutdown_while_running(TACH_ISOLATION_SNAPSHOT);
}

/* tach_shutdown with no call in flight is the ordinary, graceful one. */
static void test_shutdown_idle(void **state) {
    (void)state;
    tach_engine *e = NULL;
    assert_int_equal(init_engine(&e, TACH_ISOLATION_FORK, 0, NULL), TACH_OK);
    assert_int_equal(tach_snapshot(e), TACH_OK);
    tach_result *r = NULL;
    assert_int_equal(tach_run_test(e, nodeid("test_quick"), &r), TACH_OK);
    assert_int_equal(tach_result_outcome(r), TACH_OUTCOME_PASSED);
    tach_result_free(r);
    tach_shutdown(e);
    assert_nothing_left();
}

/* ---- the zygote SIGKILLed during a test ---- */

static void test_kill_zygote(void **state) {
    (void)state;
    tach_engine *e = NULL;
    assert_int_equal(init_engine(&e, TACH_ISOLATION_FORK, 0, NULL), TACH_OK);
    assert_int_equal(tach_snapshot(e), TACH_OK);
    tach_result *r = NULL;
    assert_int_equal(tach_run_test(e, nodeid("test_kill_zygote"), &r), TACH_OK);
    assert_int_equal(tach_result_outcome(r), TACH_OUTCOME_CRASHED);
    assert_true(tach_result_worker_replaced(r));
    tach_result_free(r);
    /* A new worker runs the next test. */
    assert_int_equal(tach_run_test(e, nodeid("test_quick"), &r), TACH_OK);
    assert_int_equal(tach_result_outcome(r), TACH_OUTCOME_PASSED);
    tach_result_free(r);
    tach_shutdown(e);
    assert_nothing_left();
}

/* ---- a hostile worker (tests/hardening/fake_worker.py) ---- */

/* Well-formed UTF-8: no stray continuation, overlong, surrogate or > U+10FFFF. */
static int valid_utf8(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        int n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (!n) return 0;
        unsigned cp = n == 1 ? c : c & (0x7F >> n);
        for (int i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (p[i] & 0x3F);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        p += n;
    }
    return 1;
}

static void test_fake_worker(void **state) {
    (void)state;
    static const struct {
        const char *mode;
        int init_status;
    } cases[] = {
        {"garbage-hello", TACH_EWORKER},     {"oversized-hello", TACH_EWORKER},
        {"truncated-hello", TACH_EWORKER},   {"garbage-collected", TACH_EWORKER},
        {"huge-count", TACH_EWORKER},        {"truncated-collected", TACH_EWORKER},
        {"garbage-on-run", TACH_OK},         {"close-on-run", TACH_OK},
        {"wrong-type-on-run", TACH_OK},      {"other-nodeid", TACH_OK},
        {"bad-utf8-result", TACH_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setenv("FAKE_WORKER_MODE", cases[i].mode, 1);
        tach_engine *e = NULL;
        int status = init_engine(&e, TACH_ISOLATION_FORK, 0, TACH_FAKE_WORKER);
        if (status != cases[i].init_status) fail_msg("%s: tach_init gave %d: %s", cases[i].mode, status, tach_errmsg(e));
        if (status == TACH_OK) {
            assert_int_equal(tach_snapshot(e), TACH_OK);
            tach_result *r = NULL;
            assert_int_equal(tach_run_test(e, "test_a.py::test_one", &r), TACH_OK);
            if (!strcmp(cases[i].mode, "bad-utf8-result")) {
                /* The texts are repaired (tach.h promises UTF-8), the NaN
                 * duration replaced by the host's measure. */
                assert_int_equal(tach_result_outcome(r), TACH_OUTCOME_PASSED);
                assert_true(valid_utf8(tach_result_stdout(r)));
                assert_true(valid_utf8(tach_result_message(r)));
                assert_non_null(strstr(tach_result_stdout(r), "bad \xEF\xBF\xBD"));
                assert_true(tach_result_duration(r) >= 0 && tach_result_duration(r) < 60);
            } else {
                assert_int_equal(tach_result_outcome(r), TACH_OUTCOME_CRASHED);
            }
            tach_result_free(r);
        } else {
            assert_non_null(strstr(tach_errmsg(e), "worker"));
        }
        tach_shutdown(e);
        assert_nothing_left();
    }
    unsetenv("FAKE_WORKER_MODE");
}

/* ---- max_worker_memory ---- */

static void test_memory_limit(void **state) {
    (void)state;
    tach_engine *e = NULL;
    assert_int_equal(init_engine(&e, TACH_ISOLATION_FORK, 1 << 20, NULL), TACH_EINVAL);
    assert_non_null(strstr(tach_errmsg(e), "max_worker_memory"));
    tach_shutdown(e);
    assert_int_equal(init_engine(&e, TACH_ISOLATION_FORK, (uint64_t)300 << 20, NULL), TACH_OK);
    assert_int_equal(tach_snapshot(e), TACH_OK);
    tach_result *r = NULL;
    assert_int_equal(tach_run_test(e, nodeid("test_bomb"), &r), TACH_OK);
    assert_int_equal(tach_result_outcome(r), TACH_OUTCOME_FAILED);
    assert_non_null(strstr(tach_result_longrepr(r), "MemoryError"));
    tach_result_free(r);
    assert_int_equal(tach_run_test(e, nodeid("test_quick"), &r), TACH_OK);
    assert_int_equal(tach_result_outcome(r), TACH_OUTCOME_PASSED);
    tach_result_free(r);
    tach_shutdown(e);
    assert_nothing_left();
}

int main(int argc, char **argv) {
    const char *group = argc > 1 ? argv[1] : "";
    const struct CMUnitTest shutdown_fork[] = {
        cmocka_unit_test_setup_teardown(test_shutdown_idle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shutdown_thread_fork, setup, teardown),
    };
    const struct CMUnitTest shutdown_snapshot[] = {
        cmocka_unit_test_setup_teardown(test_shutdown_thread_snapshot, setup, teardown),
    };
    const struct CMUnitTest others[] = {
        cmocka_unit_test_setup_teardown(test_kill_zygote, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fake_worker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_limit, setup, teardown),
    };
    if (!strcmp(group, "shutdown-thread-fork")) return cmocka_run_group_tests_name(group, shutdown_fork, NULL, NULL);
    if (!strcmp(group, "shutdown-thread-snapshot"))
        return cmocka_run_group_tests_name(group, shutdown_snapshot, NULL, NULL);
    if (!strcmp(group, "faults")) return cmocka_run_group_tests_name(group, others, NULL, NULL);
    fprintf(stderr, "usage: test_faults shutdown-thread-fork|shutdown-thread-snapshot|faults\n");
    return 2;
}
