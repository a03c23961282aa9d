/*
 * tach_recollect and options.keep_collection_base: collecting again from
 * the worker's parked pre-collection state, and when that state may not be
 * used, in a new worker.  Each test writes its own small project into a
 * temporary directory; its conftest.py notes every import of itself in
 * imports.log, which tells a reused state (not imported again) from a new
 * worker (imported again).
 *
 * Groups (argv[1]): fork, snapshot, none — the reuse tests in that
 * isolation mode; misuse — argument and order errors.
 */
#include "api_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

static tach_isolation g_isolation = TACH_ISOLATION_FORK;

/* ---- a project on disk --------------------------------------------------- */

static void write_file(const char *dir, const char *name, const char *text) {
    if (fixture_write(dir, name, text, "w") != 0) fail_msg("cannot write %s/%s", dir, name);
}

static void append_file(const char *dir, const char *name, const char *text) {
    if (fixture_write(dir, name, text, "a") != 0) fail_msg("cannot append to %s/%s", dir, name);
}

/* Lines in imports.log: how often conftest.py was imported. */
static int conftest_imports(const char *dir) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/imports.log", dir);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int lines = 0, c;
    while ((c = fgetc(f)) != EOF)
        if (c == '\n') lines++;
    fclose(f);
    return lines;
}

/* Sets the modification time back, so that the project counts as written
 * well before any worker started (a file written while a worker starts is
 * taken as changed, to be safe). */
static void age_file(const char *dir, const char *name) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct timespec times[2] = {{.tv_sec = 1000000000, .tv_nsec = 0}, {.tv_sec = 1000000000, .tv_nsec = 0}};
    if (utimensat(AT_FDCWD, path, times, 0) != 0) fail_msg("cannot age %s", path);
}

/* Lets the clock move past a write before a new worker starts. */
static void settle(void) { usleep(200 * 1000); }

static char *make_project(void) {
    char *dir = strdup("/tmp/tach-recollect-XXXXXX");
    if (!dir || !mkdtemp(dir)) fail_msg("mkdtemp failed");
    /* helper.py is imported by conftest.py (part of the parked state);
     * mathlib.py only by the tests (imported after it). */
    write_file(dir, "pytest.ini", "[pytest]\n");
    write_file(dir, "helper.py", "FACTOR = 1\n");
    write_file(dir, "mathlib.py", "def add(a, b):\n    return a + b\n");
    write_file(dir, "conftest.py",
               "import os\n"
               "import helper\n"
               "with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'imports.log'), 'a') as f:\n"
               "    f.write(f'{os.getpid()}\\n')\n");
    write_file(dir, "test_a.py",
               "from mathlib import add\n\n"
               "def test_one():\n    assert add(1, 1) == 2\n\n"
               "def test_two():\n    assert add(2, 2) == 4\n");
    write_file(dir, "test_b.py",
               "import os, signal\n\n"
               "def test_b():\n    assert True\n\n"
               "def test_crash():\n    os.kill(os.getpid(), signal.SIGSEGV)\n");
    const char *names[] = {"pytest.ini", "helper.py", "mathlib.py", "conftest.py", "test_a.py", "test_b.py"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) age_file(dir, names[i]);
    return dir;
}

static void remove_project(char *dir) {
    char command[PATH_MAX + 16];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    if (system(command) != 0) fprintf(stderr, "could not remove %s\n", dir);
    free(dir);
}

static tach_engine *start(const char *dir, int keep_base) {
    tach_init_options opts = fixture_options(dir, g_isolation);
    opts.keep_collection_base = keep_base;
    opts.args = (const char *const[]){"-p", "no:cacheprovider"};
    opts.nargs = 2;
    tach_engine *engine = NULL;
    int status = tach_init(&engine, &opts);
    if (status != TACH_OK) fail_msg("tach_init: %s: %s", tach_strerror(status), tach_errmsg(engine));
    return engine;
}

static int has_test(tach_engine *engine, const char *nodeid) {
    for (size_t i = 0; i < tach_test_count(engine); i++)
        if (!strcmp(tach_test_nodeid(engine, i), nodeid)) return 1;
    return 0;
}

static tach_outcome outcome_of(tach_engine *engine, const char *nodeid) {
    tach_result *r = run_ok(engine, nodeid);
    tach_outcome outcome = tach_result_outcome(r);
    tach_result_free(r);
    return outcome;
}

static void recollect_ok(tach_engine *engine, const char *const *paths, size_t n, int want_reused) {
    int reused = -1;
    int status = tach_recollect(engine, paths, n, &reused);
    if (status != TACH_OK) fail_msg("tach_recollect: %s: %s", tach_strerror(status), tach_errmsg(engine));
    if (reused != want_reused)
        fail_msg("tach_recollect reused=%d, expected %d (reason: %s)", reused, want_reused,
                 tach_recollect_reason(engine));
}

/* ---- reuse -------------------------------------------------------------- */

/* Narrowing to one file, then everything again with a changed test file
 * and a changed module only the tests import: all in the parked state
 * (conftest.py imported once), and the new code is what runs. */
static void test_recollect_reuses_parked_state(void **state) {
    (void)state;
    char *dir = make_project();
    tach_engine *e = start(dir, 1);
    assert_int_equal(tach_test_count(e), 4);
    assert_int_equal(conftest_imports(dir), 1);
    assert_int_equal(tach_snapshot(e), TACH_OK);
    assert_int_equal(outcome_of(e, "test_a.py::test_one"), TACH_OUTCOME_PASSED);

    const char *only_b[] = {"test_b.py"};
    recollect_ok(e, only_b, 1, 1);
    assert_string_equal(tach_recollect_reason(e), "");
    assert_int_equal(tach_test_count(e), 2);
    assert_true(has_test(e, "test_b.py::test_b"));
    assert_false(has_test(e, "test_a.py::test_one"));
    /* As after tach_init: the golden image is taken again first. */
    tach_result *r = NULL;
    assert_int_equal(tach_run_test(e, "test_b.py::test_b", &r), TACH_EMISUSE);
    assert_null(r);
    assert_int_equal(tach_snapshot(e), TACH_OK);
    assert_int_equal(outcome_of(e, "test_b.py::test_b"), TACH_OUTCOME_PASSED);
    /* Not collected this time. */
    assert_int_equal(tach_run_test(e, "test_a.py::test_one", &r), TACH_ENOTFOUND);

    /* A new test, and add() changed: both are seen. */
    append_file(dir, "test_a.py", "\ndef test_three():\n    assert add(1, 2) == 4\n");
    write_file(dir, "mathlib.py", "def add(a, b):\n    return a + b + 1\n");
    recollect_ok(e, NULL, 0, 1);
    assert_int_equal(tach_test_count(e), 5);
    assert_true(has_test(e, "test_a.py::test_three"));
    assert_int_equal(tach_snapshot(e), TACH_OK);
    assert_int_equal(outcome_of(e, "test_a.py::test_one"), TACH_OUTCOME_FAILED);   /* 1+1+1 != 2 */
    assert_int_equal(outcome_of(e, "test_a.py::test_three"), TACH_OUTCOME_PASSED); /* 1+2+1 == 4 */
    assert_int_equal(conftest_imports(dir), 1);

    /* A node id works as a path too. */
    const char *one[] = {"test_a.py::test_two"};
    recollect_ok(e, one, 1, 1);
    assert_int_equal(tach_test_count(e), 1);
    assert_string_equal(tach_test_nodeid(e, 0), "test_a.py::test_two");
    assert_int_equal(conftest_imports(dir), 1);
    tach_shutdown(e);
    assert_no_children();
    remove_project(dir);
}

/* A module the parked state imported (helper.py, via conftest.py) changed:
 * a new worker, which says why and imports conftest.py again; the paths
 * asked for are still the ones collected.  Then conftest.py itself.  A
 * conftest.py in a new directory is no reason: the zygote imports it. */
static void test_recollect_stale_state_starts_new_worker(void **state) {
    (void)state;
    char *dir = make_project();
    tach_engine *e = start(dir, 1);
    /* Changed in place, with its mtime (aged, as make_project left it),
     * size and inode as they were, as cp -p or rsync -t leave a file: seen
     * all the same (its ctime moved). */
    write_file(dir, "helper.py", "FACTOR = 2\n");
    age_file(dir, "helper.py");
    settle();
    const char *only_a[] = {"test_a.py"};
    recollect_ok(e, only_a, 1, 0);
    if (!strstr(tach_recollect_reason(e), "helper.py changed"))
        fail_msg("reason: %s", tach_recollect_reason(e));
    assert_int_equal(conftest_imports(dir), 2);
    assert_int_equal(tach_test_count(e), 2);
    assert_int_equal(tach_snapshot(e), TACH_OK);
    assert_int_equal(outcome_of(e, "test_a.py::test_two"), TACH_OUTCOME_PASSED);

    /* The new worker parked its own state: reused again. */
    recollect_ok(e, NULL, 0, 1);
    assert_int_equal(conftest_imports(dir), 2);
    assert_int_equal(tach_test_count(e), 4);

    append_file(dir, "conftest.py", "# edited\n");
    settle();
    recollect_ok(e, NULL, 0, 0);
    if (!strstr(tach_recollect_reason(e), "conftest.py changed"))
        fail_msg("reason: %s", tach_recollect_reason(e));
    assert_int_equal(conftest_imports(dir), 3);

    char sub[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    write_file(sub, "conftest.py", "import pytest\n\n@pytest.fixture\ndef answer():\n    return 42\n");
    write_file(sub, "test_sub.py", "def test_sub(answer):\n    assert answer == 42\n");
    recollect_ok(e, NULL, 0, 1);
    assert_true(has_test(e, "sub/test_sub.py::test_sub"));
    assert_int_equal(tach_snapshot(e), TACH_OK);
    assert_int_equal(outcome_of(e, "sub/test_sub.py::test_sub"), TACH_OUTCOME_PASSED);
    tach_shutdown(e);
    assert_no_children();
    remove_project(dir);
}

/* Many re-collections in a row: every one reuses the parked state, and
 * nothing accumulates — the host's descriptors and children (the one base,
 * still the same process) stay as they were. */
static void test_recollect_many_times(void **state) {
    (void)state;
    char *dir = make_project();
    tach_engine *e = start(dir, 1);
    int fds_before = -1;
    char children_before[2048] = "", children_now[2048] = "";
    for (int i = 0; i < 60; i++) {
        const char *path[] = {i % 2 ? "test_a.py" : "test_b.py"};
        recollect_ok(e, path, 1, 1);
        assert_int_equal(tach_snapshot(e), TACH_OK);
        const char *nodeid = i % 2 ? "test_a.py::test_one" : "test_b.py::test_b";
        assert_int_equal(outcome_of(e, nodeid), TACH_OUTCOME_PASSED);
        if (i == 5) {
            fds_before = count_fds();
            assert_int_equal(count_our_children(children_before, sizeof children_before), 1);
        }
    }
    assert_int_equal(count_fds(), fds_before);
    assert_int_equal(count_our_children(children_now, sizeof children_now), 1);
    assert_string_equal(children_now, children_before);
    assert_int_equal(conftest_imports(dir), 1);
    tach_shutdown(e);
    assert_no_children();
    remove_project(dir);
}

/* A project that ignores SIGCHLD (the kernel reaps children, waitpid
 * fails): the base still tells a re-collection from the zygote's end. */
static void test_recollect_with_sigchld_ignored(void **state) {
    (void)state;
    char *dir = make_project();
    append_file(dir, "conftest.py", "import signal\nsignal.signal(signal.SIGCHLD, signal.SIG_IGN)\n");
    age_file(dir, "conftest.py");
    tach_engine *e = start(dir, 1);
    const char *only_b[] = {"test_b.py"};
    for (int i = 0; i < 3; i++) recollect_ok(e, only_b, 1, 1);
    assert_int_equal(tach_snapshot(e), TACH_OK);
    assert_int_equal(outcome_of(e, "test_b.py::test_b"), TACH_OUTCOME_PASSED);
    assert_int_equal(conftest_imports(dir), 1);
    tach_shutdown(e);
    assert_no_children();
    remove_project(dir);
}

/* Without keep_collection_base every recollection is a new worker. */
static void test_recollect_without_base(void **state) {
    (void)state;
    char *dir = make_project();
    tach_engine *e = start(dir, 0);
    const char *only_b[] = {"test_b.py"};
    recollect_ok(e, only_b, 1, 0);
    assert_string_equal(tach_recollect_reason(e), "the engine was started without keep_collection_base");
    assert_int_equal(tach_test_count(e), 2);
    assert_int_equal(conftest_imports(dir), 2);
    assert_int_equal(tach_snapshot(e), TACH_OK);
    assert_int_equal(outcome_of(e, "test_b.py::test_b"), TACH_OUTCOME_PASSED);
    tach_shutdown(e);
    assert_no_children();
    remove_project(dir);
}

/* A test that kills its process: in none mode that is the zygote forked by
 * the base.  The result carries the real signal (the base ends the same
 * way), and the worker that replaces it collects the recollected paths. */
static void test_recollect_then_crash(void **state) {
    (void)state;
    char *dir = make_project();
    tach_engine *e = start(dir, 1);
    const char *only_b[] = {"test_b.py"};
    recollect_ok(e, only_b, 1, 1);
    assert_int_equal(tach_snapshot(e), TACH_OK);
    tach_result *r = run_ok(e, "test_b.py::test_crash");
    assert_int_equal(tach_result_outcome(r), TACH_OUTCOME_CRASHED);
    assert_int_equal(tach_result_signal(r), SIGSEGV);
    tach_result_free(r);
    assert_int_equal(outcome_of(e, "test_b.py::test_b"), TACH_OUTCOME_PASSED);
    assert_int_equal(tach_test_count(e), 2);
    tach_shutdown(e);
    assert_no_children();
    remove_project(dir);
}

/* Runners of the new collection. */
static void test_runner_after_recollect(void **state) {
    (void)state;
    char *dir = make_project();
    tach_engine *e = start(dir, 1);
    const char *only_a[] = {"test_a.py"};
    recollect_ok(e, only_a, 1, 1);
    assert_int_equal(tach_snapshot(e), TACH_OK);
    tach_runner *runner = NULL;
    assert_int_equal(tach_runner_open(e, &runner), TACH_OK);
    tach_result *r = NULL;
    assert_int_equal(tach_runner_run_test(runner, "test_a.py::test_two", &r), TACH_OK);
    assert_int_equal(tach_result_outcome(r), TACH_OUTCOME_PASSED);
    tach_result_free(r);
    /* An open runner forbids recollecting, and nothing is lost. */
    int reused = -1;
    assert_int_equal(tach_recollect(e, NULL, 0, &reused), TACH_EMISUSE);
    assert_int_equal(reused, 0);
    assert_non_null(strstr(tach_errmsg(e), "still open"));
    assert_int_equal(tach_runner_run_test(runner, "test_a.py::test_one", &r), TACH_OK);
    tach_result_free(r);
    tach_runner_close(runner);
    recollect_ok(e, NULL, 0, 1);
    assert_int_equal(tach_test_count(e), 4);
    tach_shutdown(e);
    assert_no_children();
    remove_project(dir);
}

/* ---- misuse ------------------------------------------------------------- */

static void test_recollect_misuse(void **state) {
    (void)state;
    int reused = -1;
    assert_int_equal(tach_recollect(NULL, NULL, 0, &reused), TACH_EINVAL);
    assert_int_equal(reused, 0);
    assert_string_equal(tach_recollect_reason(NULL), "");

    char *dir = make_project();
    tach_engine *e = start(dir, 1);
    assert_string_equal(tach_recollect_reason(e), "");
    /* pytest's default python_files (the project's ini sets none). */
    assert_int_equal(tach_python_files_count(e), 2);
    assert_string_equal(tach_python_files_pattern(e, 0), "test_*.py");
    assert_string_equal(tach_python_files_pattern(e, 1), "*_test.py");
    assert_null(tach_python_files_pattern(e, 2));
    assert_int_equal(tach_python_files_count(NULL), 0);
    assert_null(tach_python_files_pattern(NULL, 0));
    assert_int_equal(tach_recollect(e, NULL, 1, NULL), TACH_EINVAL);
    assert_non_null(strstr(tach_errmsg(e), "paths is NULL"));
    const char *null_entry[] = {"test_a.py", NULL};
    assert_int_equal(tach_recollect(e, null_entry, 2, NULL), TACH_EINVAL);
    const char *empty_entry[] = {""};
    assert_int_equal(tach_recollect(e, empty_entry, 1, NULL), TACH_EINVAL);
    /* A path that does not exist: refused, the engine as it was. */
    const char *missing[] = {"test_a.py", "test_nope.py::test_x"};
    assert_int_equal(tach_recollect(e, missing, 2, &reused), TACH_ENOTFOUND);
    assert_non_null(strstr(tach_errmsg(e), "test_nope.py"));
    assert_int_equal(tach_test_count(e), 4);
    assert_int_equal(tach_snapshot(e), TACH_OK);
    assert_int_equal(outcome_of(e, "test_a.py::test_one"), TACH_OUTCOME_PASSED);
    assert_int_equal(conftest_imports(dir), 1);
    /* NULL `reused` is allowed. */
    assert_int_equal(tach_recollect(e, NULL, 0, NULL), TACH_OK);
    tach_shutdown(e);

    /* The project's own python_files. */
    write_file(dir, "pytest.ini", "[pytest]\npython_files = check_*.py test_a.py\n");
    tach_init_options opts = fixture_options(dir, TACH_ISOLATION_FORK);
    e = NULL;
    assert_int_equal(tach_init(&e, &opts), TACH_OK);
    assert_int_equal(tach_python_files_count(e), 2);
    assert_string_equal(tach_python_files_pattern(e, 0), "check_*.py");
    assert_string_equal(tach_python_files_pattern(e, 1), "test_a.py");
    assert_int_equal(tach_test_count(e), 2); /* test_b.py is no test module now */
    tach_shutdown(e);

    /* A failed engine. */
    opts = fixture_options("/nonexistent/tach-project", TACH_ISOLATION_FORK);
    opts.keep_collection_base = 1;
    tach_engine *failed = NULL;
    assert_int_not_equal(tach_init(&failed, &opts), TACH_OK);
    assert_int_equal(tach_recollect(failed, NULL, 0, NULL), TACH_EMISUSE);
    tach_shutdown(failed);
    assert_no_children();
    remove_project(dir);
}

int main(int argc, char **argv) {
    const char *group = argc > 1 ? argv[1] : "fork";
    const struct CMUnitTest modes[] = {
        cmocka_unit_test(test_recollect_reuses_parked_state),
        cmocka_unit_test(test_recollect_stale_state_starts_new_worker),
        cmocka_unit_test(test_recollect_without_base),
        cmocka_unit_test(test_runner_after_recollect),
        cmocka_unit_test(test_recollect_many_times),
        cmocka_unit_test(test_recollect_with_sigchld_ignored),
    };
    const struct CMUnitTest none_mode[] = {
        cmocka_unit_test(test_recollect_reuses_parked_state),
        cmocka_unit_test(test_recollect_then_crash),
    };
    const struct CMUnitTest misuse[] = {
        cmocka_unit_test(test_recollect_misuse),
    };
    if (!strcmp(group, "fork")) {
        g_isolation = TACH_ISOLATION_FORK;
        return cmocka_run_group_tests_name("recollect-fork", modes, NULL, NULL);
    }
    if (!strcmp(group, "snapshot")) {
        g_isolation = TACH_ISOLATION_SNAPSHOT;
        return cmocka_run_group_tests_name("recollect-snapshot", modes, skip_without_snapshot, NULL);
    }
    if (!strcmp(group, "none")) {
        g_isolation = TACH_ISOLATION_NONE;
        return cmocka_run_group_tests_name("recollect-none", none_mode, NULL, NULL);
    }
    if (!strcmp(group, "misuse")) return cmocka_run_group_tests_name("recollect-misuse", misuse, NULL, NULL);
    fprintf(stderr, "unknown group %s\n", group);
    return 2;
}
