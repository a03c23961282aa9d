/* cmocka tests of the C API's third-layout options `sandbox` and
 * `debugger`, on tests/suites/sandbox and tests/suites/debugger.
 *
 *   sandbox:   with options.sandbox every test of the sandbox suite passes
 *              (told it is sandboxed); without it the namespace check fails.
 *              Skipped where the kernel refuses (TACH_EUNSUPPORTED with a
 *              message naming the sandbox).
 *   debugger:  with options.debugger, breakpoint() in a test reads the
 *              caller's stdin ("p x", "c") and prints to its stdout ("42");
 *              without it the same test fails (pdb reads EOF) and nothing
 *              waits on stdin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tach.h"

#define SUITES TACH_SOURCE_ROOT "/tests/suites"

static const char *const kArgs[] = {"-p", "no:cacheprovider"};

static int init_with(tach_engine **engine, const char *root, int sandbox, int debugger) {
    tach_init_options opts;
    tach_init_options_init(&opts);
    opts.project_root = root;
    opts.isolation = TACH_ISOLATION_FORK;
    opts.args = kArgs;
    opts.nargs = 2;
    opts.sandbox = sandbox;
    opts.debugger = debugger;
    return tach_init(engine, &opts);
}

static tach_outcome run_one(tach_engine *engine, const char *nodeid) {
    tach_result *result = NULL;
    fflush(stdout);
    int status = tach_run_test(engine, nodeid, &result);
    if (status != TACH_OK) fail_msg("tach_run_test(%s): %s", nodeid, tach_errmsg(engine));
    tach_outcome outcome = tach_result_outcome(result);
    if (outcome != TACH_OUTCOME_PASSED)
        print_message("%s: %s: %s\n", nodeid, tach_outcome_name(outcome), tach_result_message(result));
    tach_result_free(result);
    return outcome;
}

static void set_host_netns(void) {
    struct stat st;
    assert_int_equal(stat("/proc/self/ns/net", &st), 0);
    char text[32];
    snprintf(text, sizeof text, "%lu", (unsigned long)st.st_ino);
    setenv("TACH_HOST_NETNS", text, 1);
    setenv("TACH_SANDBOX_EXPECTED", "1", 1);
}

static void test_sandbox_on(void **state) {
    (void)state;
    set_host_netns();
    tach_engine *engine = NULL;
    int status = init_with(&engine, SUITES "/sandbox", 1, 0);
    if (status == TACH_EUNSUPPORTED) {
        assert_non_null(strstr(tach_errmsg(engine), "sandbox"));
        print_message("sandbox unavailable here: %s\n", tach_errmsg(engine));
        tach_shutdown(engine);
        skip();
    }
    if (status != TACH_OK) fail_msg("tach_init: %s", tach_errmsg(engine));
    assert_int_equal(tach_snapshot(engine), TACH_OK);
    size_t n = tach_test_count(engine);
    assert_int_equal(n, 6);
    for (size_t i = 0; i < n; ++i)
        assert_int_equal(run_one(engine, tach_test_nodeid(engine, i)), TACH_OUTCOME_PASSED);
    tach_shutdown(engine);
}

static void test_sandbox_off_is_detected(void **state) {
    (void)state;
    set_host_netns();
    tach_engine *engine = NULL;
    if (init_with(&engine, SUITES "/sandbox", 0, 0) != TACH_OK) fail_msg("tach_init: %s", tach_errmsg(engine));
    assert_int_equal(tach_snapshot(engine), TACH_OK);
    assert_int_equal(run_one(engine, "test_sandbox.py::test_network_namespace_identity"), TACH_OUTCOME_FAILED);
    assert_int_equal(run_one(engine, "test_sandbox.py::test_loopback_bind_and_connect"), TACH_OUTCOME_PASSED);
    tach_shutdown(engine);
}

/* In a child whose stdin holds `input` and whose stdout is a pipe: run the
 * breakpoint test.  Returns what the child wrote; *outcome its result. */
static char *breakpoint_run(int debugger, const char *input, int *outcome) {
    int in[2], out[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    assert_int_equal(write(in[1], input, strlen(input)), (ssize_t)strlen(input));
    close(in[1]);
    fflush(stdout);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]);
        close(out[0]);
        close(out[1]);
        tach_engine *engine = NULL;
        if (init_with(&engine, SUITES "/debugger", 0, debugger) != TACH_OK) _exit(100);
        if (tach_snapshot(engine) != TACH_OK) _exit(101);
        tach_result *result = NULL;
        if (tach_run_test(engine, "test_breakpoint.py::test_stops_at_breakpoint", &result) != TACH_OK)
            _exit(102);
        int code = (int)tach_result_outcome(result);
        tach_result_free(result);
        tach_shutdown(engine);
        fflush(stdout);
        _exit(code);
    }
    close(in[0]);
    close(out[1]);
    size_t size = 0, cap = 1 << 16;
    char *text = malloc(cap + 1);
    ssize_t got;
    while ((got = read(out[0], text + size, cap - size)) > 0) size += (size_t)got;
    text[size] = '\0';
    close(out[0]);
    int wstatus = 0;
    assert_int_equal(waitpid(pid, &wstatus, 0), pid);
    assert_true(WIFEXITED(wstatus));
    *outcome = WEXITSTATUS(wstatus);
    return text;
}

static void test_debugger_relays_stdin_and_stdout(void **state) {
    (void)state;
    int outcome = -1;
    char *text = breakpoint_run(1, "p x\nc\n", &outcome);
    if (outcome != TACH_OUTCOME_PASSED || !strstr(text, "(Pdb) ") || !strstr(text, "42\n"))
        fail_msg("outcome %d; stdout:\n%s", outcome, text);
    free(text);
}

static void test_no_debugger_means_eof(void **state) {
    (void)state;
    int outcome = -1;
    char *text = breakpoint_run(0, "p x\nc\n", &outcome);
    if (outcome != TACH_OUTCOME_FAILED || strstr(text, "(Pdb)"))
        fail_msg("outcome %d; stdout:\n%s", outcome, text);
    free(text);
}

int main(int argc, char **argv) {
    const struct CMUnitTest sandbox[] = {
        cmocka_unit_test(test_sandbox_on),
        cmocka_unit_test(test_sandbox_off_is_detected),
    };
    const struct CMUnitTest debugger[] = {
        cmocka_unit_test(test_debugger_relays_stdin_and_stdout),
        cmocka_unit_test(test_no_debugger_means_eof),
    };
    const char *group = argc > 1 ? argv[1] : "";
    if (strcmp(group, "sandbox") == 0) return cmocka_run_group_tests_name("sandbox", sandbox, NULL, NULL);
    if (strcmp(group, "debugger") == 0) return cmocka_run_group_tests_name("debugger", debugger, NULL, NULL);
    fprintf(stderr, "usage: test_extras_api sandbox|debugger\n");
    return 2;
}
