/*
 * test_dlopen.c — libtach as a plugin host loads it: dlopen by SONAME,
 * every function through dlsym, a real run on tests/fixtures/basic.
 *
 * Not linked against libtach.  TACH_LIB_DIR (a -D define) is the build
 * directory holding libtach.so.0; TACH_TEST_FIXTURES is tests/fixtures.
 * The header is used for types and constants only.
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <tach.h>

#ifndef TACH_LIB_DIR
#error "TACH_LIB_DIR must be defined (the directory holding libtach.so.0)"
#endif
#ifndef TACH_TEST_FIXTURES
#error "TACH_TEST_FIXTURES must be defined (the absolute path of tests/fixtures)"
#endif

#define NODE(name) "test_basic.py::" name

/* Every function of tach.h, resolved by name. */
static struct {
    void *lib;
    const char *(*version)(void);
    int (*version_number)(void);
    const char *(*strerror)(int);
    int (*init_options_init)(tach_init_options *);
    int (*init)(tach_engine **, const tach_init_options *);
    void (*shutdown)(tach_engine *);
    const char *(*errmsg)(const tach_engine *);
    tach_isolation (*engine_isolation)(const tach_engine *);
    const char *(*isolation_name)(tach_isolation);
    const char *(*python_version)(const tach_engine *);
    const char *(*pytest_version)(const tach_engine *);
    size_t (*test_count)(const tach_engine *);
    const char *(*test_nodeid)(const tach_engine *, size_t);
    size_t (*collect_error_count)(const tach_engine *);
    int (*collection_interrupts)(const tach_engine *);
    int (*snapshot)(tach_engine *);
    int (*run)(tach_engine *, const char *, tach_result **);
    int (*restore)(tach_engine *);
    const char *(*outcome_name)(tach_outcome);
    const char *(*result_nodeid)(const tach_result *);
    tach_outcome (*result_outcome)(const tach_result *);
    double (*result_duration)(const tach_result *);
    const char *(*result_phase)(const tach_result *);
    const char *(*result_longrepr)(const tach_result *);
    const char *(*result_message)(const tach_result *);
    const char *(*result_stdout)(const tach_result *);
    const char *(*result_stderr)(const tach_result *);
    int (*result_signal)(const tach_result *);
    int (*result_exit_status)(const tach_result *);
    void (*result_free)(tach_result *);
} api;

/* dlsym into a function pointer without the object/function pointer cast
 * ISO C frowns upon. */
#define RESOLVE(field, name)                                                   \
    do {                                                                       \
        void *sym_ = dlsym(api.lib, name);                                     \
        if (!sym_) {                                                           \
            fprintf(stderr, "dlsym(%s): %s\n", name, dlerror());               \
            return -1;                                                         \
        }                                                                      \
        memcpy(&api.field, &sym_, sizeof sym_);                                \
    } while (0)

static int load_library(void **state) {
    (void)state;
    /* Only the SONAME: what a program linked with -ltach records. */
    api.lib = dlopen(TACH_LIB_DIR "/libtach.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!api.lib) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return -1;
    }
    RESOLVE(version, "tach_version");
    RESOLVE(version_number, "tach_version_number");
    RESOLVE(strerror, "tach_strerror");
    RESOLVE(init_options_init, "tach_init_options_init");
    RESOLVE(init, "tach_init");
    RESOLVE(shutdown, "tach_shutdown");
    RESOLVE(errmsg, "tach_errmsg");
    RESOLVE(engine_isolation, "tach_engine_isolation");
    RESOLVE(isolation_name, "tach_isolation_name");
    RESOLVE(python_version, "tach_python_version");
    RESOLVE(pytest_version, "tach_pytest_version");
    RESOLVE(test_count, "tach_test_count");
    RESOLVE(test_nodeid, "tach_test_nodeid");
    RESOLVE(collect_error_count, "tach_collect_error_count");
    RESOLVE(collection_interrupts, "tach_collection_interrupts");
    RESOLVE(snapshot, "tach_snapshot");
    RESOLVE(run, "tach_run_test");
    RESOLVE(restore, "tach_restore");
    RESOLVE(outcome_name, "tach_outcome_name");
    RESOLVE(result_nodeid, "tach_result_nodeid");
    RESOLVE(result_outcome, "tach_result_outcome");
    RESOLVE(result_duration, "tach_result_duration");
    RESOLVE(result_phase, "tach_result_phase");
    RESOLVE(result_longrepr, "tach_result_longrepr");
    RESOLVE(result_message, "tach_result_message");
    RESOLVE(result_stdout, "tach_result_stdout");
    RESOLVE(result_stderr, "tach_result_stderr");
    RESOLVE(result_signal, "tach_result_signal");
    RESOLVE(result_exit_status, "tach_result_exit_status");
    RESOLVE(result_free, "tach_result_free");
    return 0;
}

static int unload_library(void **state) {
    (void)state;
    /* The library is linked -z nodelete: dlclose succeeds and keeps it. */
    int rc = api.lib ? dlclose(api.lib) : 0;
    api.lib = NULL;
    return rc == 0 ? 0 : -1;
}

static void test_dlopen_soname_and_version(void **state) {
    (void)state;
    /* A second dlopen by the same name gives the same object. */
    void *again = dlopen(TACH_LIB_DIR "/libtach.so.0", RTLD_NOW | RTLD_NOLOAD);
    assert_ptr_equal(again, api.lib);
    dlclose(again);
    /* Nothing but the C API is visible. */
    assert_null(dlsym(api.lib, "_ZN4tach6EngineD1Ev"));
    assert_null(dlsym(api.lib, "Py_Initialize"));

    assert_string_equal(api.version(), TACH_VERSION_STRING);
    assert_int_equal(api.version_number(), TACH_VERSION_NUMBER);
    assert_string_equal(api.strerror(12345), "unknown tach status");
    assert_string_equal(api.isolation_name(TACH_ISOLATION_NONE), "none");
}

static void test_dlopen_init_failure(void **state) {
    (void)state;
    tach_init_options opts;
    assert_int_equal(api.init_options_init(&opts), TACH_OK);
    opts.project_root = TACH_TEST_FIXTURES "/does-not-exist";
    tach_engine *engine = NULL;
    assert_int_equal(api.init(&engine, &opts), TACH_ENOTFOUND);
    assert_non_null(engine);
    assert_non_null(strstr(api.errmsg(engine), "does-not-exist"));
    assert_int_equal(api.snapshot(engine), TACH_EMISUSE);
    api.shutdown(engine);
}

static void run_and_check(tach_engine *engine, const char *nodeid, tach_outcome want) {
    tach_result *r = NULL;
    fflush(stdout);
    int status = api.run(engine, nodeid, &r);
    if (status != TACH_OK) fail_msg("%s: %s: %s", nodeid, api.strerror(status), api.errmsg(engine));
    assert_string_equal(api.result_nodeid(r), nodeid);
    if (api.result_outcome(r) != want)
        fail_msg("%s: %s, expected %s\n%s", nodeid, api.outcome_name(api.result_outcome(r)),
                 api.outcome_name(want), api.result_longrepr(r));
    assert_true(api.result_duration(r) > 0.0);
    assert_true(strlen(api.result_phase(r)) > 0);
    switch (want) {
    case TACH_OUTCOME_FAILED:
        assert_non_null(strstr(api.result_message(r), "lists differ"));
        assert_non_null(strstr(api.result_longrepr(r), "[1, 2, 4]"));
        break;
    case TACH_OUTCOME_SKIPPED:
        assert_string_equal(api.result_message(r), "skipped on purpose");
        break;
    case TACH_OUTCOME_CRASHED:
        assert_int_equal(api.result_signal(r), SIGSEGV);
        assert_int_equal(api.result_exit_status(r), -1);
        break;
    default:
        break;
    }
    if (strcmp(nodeid, NODE("test_prints")) == 0) {
        assert_non_null(strstr(api.result_stdout(r), "hello from stdout"));
        assert_non_null(strstr(api.result_stderr(r), "hello from stderr"));
    }
    api.result_free(r);
    assert_int_equal(api.restore(engine), TACH_OK);
}

static void test_dlopen_run(void **state) {
    (void)state;
    tach_init_options opts;
    assert_int_equal(api.init_options_init(&opts), TACH_OK);
    const char *args[] = {"-k", "passes or fails or skipped or prints or crashes"};
    opts.project_root = TACH_TEST_FIXTURES "/basic";
    opts.args = args;
    opts.nargs = 2;
    opts.isolation = TACH_ISOLATION_FORK;
    tach_engine *engine = NULL;
    int status = api.init(&engine, &opts);
    if (status != TACH_OK) {
        char msg[2048];
        snprintf(msg, sizeof msg, "%s", api.errmsg(engine));
        api.shutdown(engine);
        fail_msg("tach_init: %s", msg);
    }
    assert_true(strlen(api.python_version(engine)) > 0);
    assert_true(strlen(api.pytest_version(engine)) > 0);
    assert_int_equal(api.collect_error_count(engine), 0);
    assert_int_equal(api.collection_interrupts(engine), 0);
    assert_int_equal(api.test_count(engine), 5);
    assert_int_equal(api.snapshot(engine), TACH_OK);
    assert_int_equal(api.engine_isolation(engine), TACH_ISOLATION_FORK);

    static const struct {
        const char *nodeid;
        tach_outcome outcome;
    } expected[] = {
        {NODE("test_passes"), TACH_OUTCOME_PASSED},   {NODE("test_fails"), TACH_OUTCOME_FAILED},
        {NODE("test_skipped"), TACH_OUTCOME_SKIPPED}, {NODE("test_prints"), TACH_OUTCOME_PASSED},
        {NODE("test_crashes"), TACH_OUTCOME_CRASHED},
    };
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(api.test_nodeid(engine, i), expected[i].nodeid);
        run_and_check(engine, expected[i].nodeid, expected[i].outcome);
    }
    /* After a crash the engine still runs tests. */
    run_and_check(engine, NODE("test_passes"), TACH_OUTCOME_PASSED);
    assert_null(api.test_nodeid(engine, 5));
    api.shutdown(engine);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dlopen_soname_and_version),
        cmocka_unit_test(test_dlopen_init_failure),
        cmocka_unit_test(test_dlopen_run),
    };
    return cmocka_run_group_tests(tests, load_library, unload_library);
}
