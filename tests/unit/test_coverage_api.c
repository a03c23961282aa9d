/*
 * test_coverage_api.c — line coverage through the C API (include/tach.h):
 * tach_init_options.coverage*, tach_result_coverage_*, tach_coverage_write.
 *
 * Groups (one meson test each):
 *   fork, snapshot, none   the fixture tests/fixtures/coverage in that
 *                          isolation: each test's lines exactly (test_a's
 *                          result has alpha's lines and not beta's, and the
 *                          other way round, whatever order they run in), the
 *                          collection context (module-level statements) in
 *                          the LCOV report, unimported files at 0
 *                          (snapshot is skipped where unavailable)
 *   off                    coverage off: no lines, no tracer in the worker,
 *                          tach_coverage_write refused; the options struct
 *                          of the earlier layout; argument checks; sources
 *                          restricting what is measured; a crashed test
 *                          carries no lines
 *
 * Shared helpers (fixture paths, run_ok, group_wanted): api_fixture.h.
 */
#include "api_fixture.h"

#include <dlfcn.h>

#define COV_DIR TACH_TEST_FIXTURES "/coverage"
#define CALC COV_DIR "/pkg/calc.py"
#define CONFTEST COV_DIR "/tests/conftest.py"
#define TEST_CALC COV_DIR "/tests/test_calc.py"
#define NODE_A "tests/test_calc.py::test_a"
#define NODE_B "tests/test_calc.py::test_b"
#define NODE_NOTHING "tests/test_calc.py::test_nothing"
#define NODE_TRACER "tests/test_tracer.py::test_reports_tracer"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static char g_fixture[PATH_MAX]; /* COV_DIR resolved: results name real paths */

static char *real_path_of(const char *suffix) {
    static char buf[4][PATH_MAX + 64];
    static int next;
    char *out = buf[next++ % 4];
    snprintf(out, PATH_MAX + 64, "%s%s", g_fixture, suffix);
    return out;
}

static int init_cov(tach_engine **out, const char *root, tach_isolation isolation, int coverage,
                    const char *const *sources, size_t nsources) {
    tach_init_options opts = fixture_options(root, isolation);
    opts.coverage = coverage;
    opts.coverage_sources = sources;
    opts.ncoverage_sources = nsources;
    return tach_init(out, &opts);
}

/* The result's lines of `path` as "1,2,3" ("" when the file is absent). */
static const char *lines_of(const tach_result *r, const char *path) {
    static char text[4096];
    text[0] = '\0';
    size_t n = tach_result_coverage_file_count(r);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(tach_result_coverage_file(r, i), path) != 0) continue;
        const uint32_t *lines = NULL;
        size_t count = tach_result_coverage_lines(r, i, &lines);
        size_t used = 0;
        for (size_t k = 0; k < count; k++) {
            if (k > 0) assert_true(lines[k] > lines[k - 1]); /* ascending, unique */
            used += (size_t)snprintf(text + used, sizeof text - used, "%s%u", k ? "," : "", lines[k]);
        }
    }
    return text;
}

/* Every file of a result is absolute, listed in byte order, with lines. */
static void check_result_shape(const tach_result *r) {
    size_t n = tach_result_coverage_file_count(r);
    for (size_t i = 0; i < n; i++) {
        const char *path = tach_result_coverage_file(r, i);
        assert_non_null(path);
        assert_true(path[0] == '/');
        if (i > 0) assert_true(strcmp(tach_result_coverage_file(r, i - 1), path) < 0);
        const uint32_t *lines = NULL;
        assert_true(tach_result_coverage_lines(r, i, &lines) > 0);
        assert_non_null(lines);
        assert_true(tach_result_coverage_lines(r, i, NULL) > 0);
    }
    assert_null(tach_result_coverage_file(r, n));
    const uint32_t *lines = (const uint32_t *)1;
    assert_int_equal(tach_result_coverage_lines(r, n, &lines), 0);
    assert_null(lines);
}

static void expect_lines(const tach_result *r, const char *path, const char *want) {
    const char *got = lines_of(r, path);
    if (strcmp(got, want) != 0)
        fail_msg("%s: lines of %s are [%s], expected [%s]", tach_result_nodeid(r), path, got, want);
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* The LCOV hit count of `line` in the record of `file` (relative name), or
 * -1 when the line is not a statement there / the file is not listed. */
static int lcov_hits(const char *lcov, const char *file, unsigned line) {
    char header[PATH_MAX + 8];
    snprintf(header, sizeof header, "SF:%s\n", file);
    const char *rec = strstr(lcov, header);
    if (!rec) return -1;
    const char *end = strstr(rec, "end_of_record");
    char da[32];
    snprintf(da, sizeof da, "\nDA:%u,", line);
    const char *hit = strstr(rec, da);
    if (!hit || (end && hit > end)) return -1;
    return atoi(hit + strlen(da));
}

static char g_tmpdir[PATH_MAX];

static int make_tmpdir(void **state) {
    (void)state;
    snprintf(g_tmpdir, sizeof g_tmpdir, "/tmp/tach-cov-XXXXXX");
    if (!mkdtemp(g_tmpdir)) return -1;
    if (!realpath(COV_DIR, g_fixture)) return -1;
    return 0;
}

static int remove_tmpdir(void **state) {
    (void)state;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------------ */
/* One isolation mode                                                        */
/* ------------------------------------------------------------------------ */

static void check_mode(tach_isolation isolation) {
    tach_engine *e = NULL;
    int status = init_cov(&e, COV_DIR, isolation, 1, NULL, 0);
    if (status != TACH_OK) fail_msg("tach_init: %s", tach_errmsg(e));
    status = tach_snapshot(e);
    if (status == TACH_EUNSUPPORTED && isolation == TACH_ISOLATION_SNAPSHOT) {
        fprintf(stderr, "snapshot isolation unavailable, skipped: %s\n", tach_errmsg(e));
        tach_shutdown(e);
        skip();
    }
    assert_int_equal(status, TACH_OK);

    /* Before any test: only the collection context. */
    char lcov_path[PATH_MAX + 64];
    snprintf(lcov_path, sizeof lcov_path, "%s/%s-collect.info", g_tmpdir, tach_isolation_name(isolation));
    assert_int_equal(tach_coverage_write(e, TACH_COVERAGE_LCOV, lcov_path, 0), TACH_OK);
    const char *lcov = read_file(lcov_path);
    assert_non_null(lcov);
    /* Module level of calc.py: import, TABLE, the defs, the class body. */
    static const unsigned module_level[] = {3, 5, 11, 19, 28, 31, 33, 40};
    for (size_t i = 0; i < sizeof module_level / sizeof module_level[0]; i++)
        if (lcov_hits(lcov, "pkg/calc.py", module_level[i]) != 1)
            fail_msg("calc.py:%u: hits %d after collection, expected 1\n%s", module_level[i],
                     lcov_hits(lcov, "pkg/calc.py", module_level[i]), lcov);
    assert_int_equal(lcov_hits(lcov, "pkg/calc.py", 13), 0);  /* alpha's body */
    assert_int_equal(lcov_hits(lcov, "pkg/calc.py", 20), 0);  /* beta's body */
    assert_int_equal(lcov_hits(lcov, "pkg/calc.py", 12), -1); /* a docstring */
    assert_int_equal(lcov_hits(lcov, "pkg/calc.py", 37), -1); /* pragma: no cover */
    assert_int_equal(lcov_hits(lcov, "tests/conftest.py", 4), 1);
    assert_int_equal(lcov_hits(lcov, "tests/conftest.py", 6), 0);
    /* Never imported: listed at 0. */
    assert_int_equal(lcov_hits(lcov, "pkg/unused.py", 1), 0);
    assert_int_equal(lcov_hits(lcov, "pkg/unused.py", 5), 0);

    /* test_b before test_a: what one test ran never leaks into the next. */
    const char *calc = real_path_of("/pkg/calc.py");
    const char *conftest = real_path_of("/tests/conftest.py");
    const char *test_calc = real_path_of("/tests/test_calc.py");
    for (int round = 0; round < 2; round++) {
        tach_result *b = run_ok(e, NODE_B);
        assert_int_equal(tach_result_outcome(b), TACH_OUTCOME_PASSED);
        check_result_shape(b);
        /* 24 is the second line of a two-line statement: Python reports it. */
        expect_lines(b, calc, "20,21,22,23,24,25,41");
        expect_lines(b, conftest, "");
        expect_lines(b, test_calc, "10,11");
        assert_int_equal(tach_result_coverage_file_count(b), 2);
        tach_result_free(b);
        assert_int_equal(tach_restore(e), TACH_OK);

        tach_result *a = run_ok(e, NODE_A);
        assert_int_equal(tach_result_outcome(a), TACH_OUTCOME_PASSED);
        check_result_shape(a);
        expect_lines(a, calc, "13,14,16,41");
        expect_lines(a, conftest, "6,7,8"); /* the fixture: setup and teardown */
        expect_lines(a, test_calc, "5,6");
        assert_int_equal(tach_result_coverage_file_count(a), 3);
        tach_result_free(a);
        assert_int_equal(tach_restore(e), TACH_OK);
    }
    tach_result *n = run_ok(e, NODE_NOTHING);
    expect_lines(n, test_calc, "15");
    assert_int_equal(tach_result_coverage_file_count(n), 1);
    tach_result_free(n);

    tach_result *t = run_ok(e, NODE_TRACER);
    if (!strstr(tach_result_stdout(t), "LineTracer"))
        fail_msg("the test saw tracer '%s'", tach_result_stdout(t));
    tach_result_free(t);

    /* Everything so far, with statements counted once. */
    snprintf(lcov_path, sizeof lcov_path, "%s/%s-all.info", g_tmpdir, tach_isolation_name(isolation));
    assert_int_equal(tach_coverage_write(e, TACH_COVERAGE_LCOV, lcov_path, 0), TACH_OK);
    lcov = read_file(lcov_path);
    assert_int_equal(lcov_hits(lcov, "pkg/calc.py", 13), 1);  /* test_a (once: a set) */
    assert_int_equal(lcov_hits(lcov, "pkg/calc.py", 15), 0);  /* never */
    assert_int_equal(lcov_hits(lcov, "pkg/calc.py", 23), 1);  /* test_b, 24 counted here */
    assert_int_equal(lcov_hits(lcov, "pkg/calc.py", 24), -1); /* not a statement */
    assert_int_equal(lcov_hits(lcov, "pkg/calc.py", 41), 2);  /* test_a and test_b */
    assert_int_equal(lcov_hits(lcov, "pkg/calc.py", 3), 1);   /* collection */

    /* Every format writes. */
    static const tach_coverage_format formats[] = {TACH_COVERAGE_LCOV, TACH_COVERAGE_COBERTURA,
                                                   TACH_COVERAGE_JSON, TACH_COVERAGE_TEXT};
    for (size_t i = 0; i < 4; i++) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/%s-%zu.out", g_tmpdir, tach_isolation_name(isolation), i);
        assert_int_equal(tach_coverage_write(e, formats[i], path, 1), TACH_OK);
        const char *text = read_file(path);
        assert_non_null(text);
        assert_true(strstr(text, "calc.py") != NULL);
    }
    tach_shutdown(e);
}

static void test_coverage_fork(void **state) {
    (void)state;
    check_mode(TACH_ISOLATION_FORK);
}

static void test_coverage_snapshot(void **state) {
    (void)state;
    check_mode(TACH_ISOLATION_SNAPSHOT);
}

static void test_coverage_none(void **state) {
    (void)state;
    check_mode(TACH_ISOLATION_NONE);
}

/* ------------------------------------------------------------------------ */
/* Coverage off, options, sources, crashes                                   */
/* ------------------------------------------------------------------------ */

static void test_coverage_off(void **state) {
    (void)state;
    tach_engine *e = NULL;
    assert_int_equal(init_cov(&e, COV_DIR, TACH_ISOLATION_FORK, 0, NULL, 0), TACH_OK);
    assert_int_equal(tach_snapshot(e), TACH_OK);
    tach_result *a = run_ok(e, NODE_A);
    assert_int_equal(tach_result_outcome(a), TACH_OUTCOME_PASSED);
    assert_int_equal(tach_result_coverage_file_count(a), 0);
    assert_null(tach_result_coverage_file(a, 0));
    tach_result_free(a);
    /* No tracer at all in the worker. */
    tach_result *t = run_ok(e, NODE_TRACER);
    if (!strstr(tach_result_stdout(t), "NoneType")) fail_msg("the test saw tracer '%s'", tach_result_stdout(t));
    tach_result_free(t);
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/off.info", g_tmpdir);
    assert_int_equal(tach_coverage_write(e, TACH_COVERAGE_LCOV, path, 0), TACH_EMISUSE);
    assert_true(strstr(tach_errmsg(e), "coverage") != NULL);
    assert_int_equal(access(path, F_OK), -1);
    tach_shutdown(e);
}

/* A caller compiled against the layout before coverage passes the smaller
 * size: accepted, coverage off (the fields past it are never read). */
static void test_coverage_old_options_size(void **state) {
    (void)state;
    struct {
        tach_init_options opts;
        char poison[64];
    } wrapped;
    memset(&wrapped, 0x5a, sizeof wrapped);
    tach_init_options_init(&wrapped.opts);
    wrapped.opts.size = offsetof(tach_init_options, coverage);
    wrapped.opts.project_root = COV_DIR;
    wrapped.opts.isolation = TACH_ISOLATION_FORK;
    memset(&wrapped.opts.coverage, 0x5a, sizeof wrapped.opts - offsetof(tach_init_options, coverage));
    tach_engine *e = NULL;
    assert_int_equal(tach_init(&e, &wrapped.opts), TACH_OK);
    assert_int_equal(tach_snapshot(e), TACH_OK);
    tach_result *a = run_ok(e, NODE_A);
    assert_int_equal(tach_result_coverage_file_count(a), 0);
    tach_result_free(a);
    tach_shutdown(e);

    /* Past the struct this library knows: refused. */
    tach_init_options too_big = TACH_INIT_OPTIONS_INIT;
    too_big.size = sizeof(tach_init_options) + 8;
    assert_int_equal(tach_init(&e, &too_big), TACH_EINVAL);
    tach_shutdown(e);
}

/* The exported tach_init_options_init, as programs built before the
 * coverage fields call it, writes the first layout only; the header's
 * name (a macro for _v2) fills the whole struct. */
static void test_coverage_options_initialisers(void **state) {
    (void)state;
    typedef int (*init_fn)(tach_init_options *);
    init_fn old_init = (init_fn)dlsym(RTLD_DEFAULT, "tach_init_options_init");
    init_fn v2_init = (init_fn)dlsym(RTLD_DEFAULT, "tach_init_options_init_v2");
    init_fn v3_init = (init_fn)dlsym(RTLD_DEFAULT, "tach_init_options_init_v3");
    init_fn v4_init = (init_fn)dlsym(RTLD_DEFAULT, "tach_init_options_init_v4");
    assert_non_null(old_init);
    assert_non_null(v2_init);
    assert_non_null(v3_init);
    assert_non_null(v4_init);
    const size_t third_layout = offsetof(tach_init_options, debugger) + sizeof(int);
    const size_t second_layout = offsetof(tach_init_options, ncoverage_sources) + sizeof(size_t);
    const size_t first_layout = offsetof(tach_init_options, shim_path) + sizeof(const char *);
    unsigned char buf[sizeof(tach_init_options) + 32];
    memset(buf, 0xab, sizeof buf);
    assert_int_equal(old_init((tach_init_options *)buf), TACH_OK);
    assert_int_equal(((tach_init_options *)buf)->size, first_layout);
    for (size_t i = first_layout; i < sizeof buf; i++) assert_int_equal(buf[i], 0xab);
    memset(buf, 0xab, sizeof buf);
    assert_int_equal(v2_init((tach_init_options *)buf), TACH_OK);
    tach_init_options *opts = (tach_init_options *)buf;
    assert_int_equal(opts->size, second_layout);
    assert_int_equal(opts->coverage, 0);
    assert_null(opts->coverage_sources);
    assert_int_equal(opts->ncoverage_sources, 0);
    for (size_t i = second_layout; i < sizeof buf; i++) assert_int_equal(buf[i], 0xab);
    memset(buf, 0xab, sizeof buf);
    assert_int_equal(v3_init((tach_init_options *)buf), TACH_OK);
    assert_int_equal(opts->size, third_layout);
    assert_int_equal(opts->max_worker_memory, 0);
    assert_int_equal(opts->sandbox, 0);
    assert_int_equal(opts->debugger, 0);
    for (size_t i = third_layout; i < sizeof buf; i++) assert_int_equal(buf[i], 0xab);
    memset(buf, 0xab, sizeof buf);
    assert_int_equal(v4_init((tach_init_options *)buf), TACH_OK);
    assert_int_equal(opts->size, sizeof(tach_init_options));
    assert_int_equal(opts->debugger, 0);
    assert_int_equal(opts->keep_collection_base, 0);
    for (size_t i = sizeof(tach_init_options); i < sizeof buf; i++) assert_int_equal(buf[i], 0xab);
    tach_init_options via_macro;
    memset(&via_macro, 0xab, sizeof via_macro);
    assert_int_equal(tach_init_options_init(&via_macro), TACH_OK);
    assert_int_equal(via_macro.size, sizeof(tach_init_options));
    assert_int_equal(via_macro.coverage, 0);
    assert_int_equal(old_init(NULL), TACH_EINVAL);
    assert_int_equal(v2_init(NULL), TACH_EINVAL);
    assert_int_equal(v3_init(NULL), TACH_EINVAL);
    assert_int_equal(v4_init(NULL), TACH_EINVAL);
}

static void test_coverage_bad_arguments(void **state) {
    (void)state;
    tach_engine *e = NULL;
    assert_int_equal(init_cov(&e, COV_DIR, TACH_ISOLATION_FORK, 1, NULL, 2), TACH_EINVAL);
    assert_true(strstr(tach_errmsg(e), "coverage_sources") != NULL);
    tach_shutdown(e);
    const char *with_null[] = {"pkg", NULL};
    assert_int_equal(init_cov(&e, COV_DIR, TACH_ISOLATION_FORK, 1, with_null, 2), TACH_EINVAL);
    tach_shutdown(e);

    assert_int_equal(tach_coverage_write(NULL, TACH_COVERAGE_LCOV, "/tmp/x", 0), TACH_EINVAL);
    assert_int_equal(init_cov(&e, COV_DIR, TACH_ISOLATION_FORK, 1, NULL, 0), TACH_OK);
    assert_int_equal(tach_snapshot(e), TACH_OK);
    assert_int_equal(tach_coverage_write(e, TACH_COVERAGE_LCOV, NULL, 0), TACH_EINVAL);
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/bad.out", g_tmpdir);
    assert_int_equal(tach_coverage_write(e, (tach_coverage_format)42, path, 0), TACH_EINVAL);
    assert_int_equal(tach_coverage_write(e, TACH_COVERAGE_TEXT, "/nonexistent-dir/x.txt", 0), TACH_ERROR);
    assert_true(strstr(tach_errmsg(e), "/nonexistent-dir/x.txt") != NULL);
    /* Still usable. */
    assert_int_equal(tach_coverage_write(e, TACH_COVERAGE_TEXT, path, 0), TACH_OK);
    tach_shutdown(e);

    /* NULL results. */
    assert_int_equal(tach_result_coverage_file_count(NULL), 0);
    assert_null(tach_result_coverage_file(NULL, 0));
    const uint32_t *lines = (const uint32_t *)1;
    assert_int_equal(tach_result_coverage_lines(NULL, 0, &lines), 0);
    assert_null(lines);
}

/* Only the sources given are measured (relative to the project root). */
static void test_coverage_sources(void **state) {
    (void)state;
    const char *sources[] = {"pkg"};
    tach_engine *e = NULL;
    assert_int_equal(init_cov(&e, COV_DIR, TACH_ISOLATION_FORK, 1, sources, 1), TACH_OK);
    assert_int_equal(tach_snapshot(e), TACH_OK);
    tach_result *a = run_ok(e, NODE_A);
    assert_int_equal(tach_result_coverage_file_count(a), 1);
    assert_string_equal(tach_result_coverage_file(a, 0), real_path_of("/pkg/calc.py"));
    expect_lines(a, real_path_of("/pkg/calc.py"), "13,14,16,41");
    tach_result_free(a);
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/sources.info", g_tmpdir);
    assert_int_equal(tach_coverage_write(e, TACH_COVERAGE_LCOV, path, 0), TACH_OK);
    const char *lcov = read_file(path);
    assert_int_equal(lcov_hits(lcov, "tests/conftest.py", 4), -1);
    assert_int_equal(lcov_hits(lcov, "pkg/unused.py", 1), 0);
    assert_int_equal(lcov_hits(lcov, "pkg/calc.py", 13), 1);
    tach_shutdown(e);
}

/* A crashed test's lines die with its process; the next test is whole. */
static void test_coverage_crash_dropped(void **state) {
    (void)state;
    tach_engine *e = NULL;
    assert_int_equal(init_cov(&e, BASIC_DIR, TACH_ISOLATION_FORK, 1, NULL, 0), TACH_OK);
    assert_int_equal(tach_snapshot(e), TACH_OK);
    tach_result *c = run_ok(e, "test_basic.py::test_crashes");
    assert_int_equal(tach_result_outcome(c), TACH_OUTCOME_CRASHED);
    assert_int_equal(tach_result_coverage_file_count(c), 0);
    tach_result_free(c);
    tach_result *p = run_ok(e, "test_basic.py::test_passes");
    assert_int_equal(tach_result_outcome(p), TACH_OUTCOME_PASSED);
    assert_int_equal(tach_result_coverage_file_count(p), 1);
    tach_result_free(p);
    tach_shutdown(e);
}

/* ------------------------------------------------------------------------ */

int main(int argc, char **argv) {
    const struct CMUnitTest fork_tests[] = {cmocka_unit_test(test_coverage_fork)};
    const struct CMUnitTest snapshot_tests[] = {cmocka_unit_test(test_coverage_snapshot)};
    const struct CMUnitTest none_tests[] = {cmocka_unit_test(test_coverage_none)};
    const struct CMUnitTest off_tests[] = {
        cmocka_unit_test(test_coverage_off),
        cmocka_unit_test(test_coverage_old_options_size),
        cmocka_unit_test(test_coverage_options_initialisers),
        cmocka_unit_test(test_coverage_bad_arguments),
        cmocka_unit_test(test_coverage_sources),
        cmocka_unit_test(test_coverage_crash_dropped),
    };
    int failed = 0;
    if (group_wanted(argc, argv, "fork"))
        failed += cmocka_run_group_tests_name("coverage-fork", fork_tests, make_tmpdir, remove_tmpdir);
    if (group_wanted(argc, argv, "snapshot"))
        failed += cmocka_run_group_tests_name("coverage-snapshot", snapshot_tests, make_tmpdir, remove_tmpdir);
    if (group_wanted(argc, argv, "none"))
        failed += cmocka_run_group_tests_name("coverage-none", none_tests, make_tmpdir, remove_tmpdir);
    if (group_wanted(argc, argv, "off"))
        failed += cmocka_run_group_tests_name("coverage-off", off_tests, make_tmpdir, remove_tmpdir);
    return failed ? 1 : 0;
}
