/*
 * c_api.c — run the demo suite (examples/demo) through tach's C API.
 *
 *     c_api [PROJECT_DIR]        default PROJECT_DIR: examples/demo
 *
 * The life of an engine, in the order the API wants it:
 *   tach_init      start a worker, import pytest and the project, collect
 *   tach_snapshot  the collected interpreter becomes the golden image
 *   for each collected test:
 *     tach_run_test  run it; any outcome (even a crash) is a result
 *     tach_restore   put the worker back to the golden image
 *   tach_shutdown  stop the worker
 *
 * Every call that can fail returns a tach_status; tach_errmsg(engine) says
 * what went wrong.  Exit status: 0 when every test had the outcome the demo
 * suite is known to produce (see expected[] below), 1 when one differed,
 * 2 when a tach call failed.
 *
 * Build (after `meson install`):
 *     cc c_api.c $(pkg-config --cflags --libs libtach) -o c_api
 */
#include <tach.h>

#include <stdio.h>
#include <string.h>

/* The demo suite on purpose has 2 failing tests, 1 skipped, 1 xfailed;
 * plain pytest reports the same: 2 failed, 17 passed, 1 skipped, 1 xfailed.
 * Every test not listed here passes. */
#define DEMO_TEST_COUNT 21
static const struct {
    const char *nodeid;
    tach_outcome outcome;
} expected[] = {
    {"tests/test_pricing.py::test_price_order_lines_with_discount", TACH_OUTCOME_FAILED},
    {"tests/test_pricing.py::test_vat_on_many_small_lines", TACH_OUTCOME_XFAILED},
    {"tests/test_stock.py::test_summary_hides_sold_out_items", TACH_OUTCOME_FAILED},
    {"tests/test_stock.py::test_save_uses_native_line_endings", TACH_OUTCOME_SKIPPED},
};

static tach_outcome expected_outcome(const char *nodeid) {
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        if (strcmp(expected[i].nodeid, nodeid) == 0)
            return expected[i].outcome;
    return TACH_OUTCOME_PASSED;
}

/* Print a failed call's status and the engine's detailed message. */
static int report_error(const char *call, int status, const tach_engine *engine) {
    fprintf(stderr, "c_api: %s: %s\n  %s\n", call, tach_strerror(status), tach_errmsg(engine));
    return 2;
}

int main(int argc, char **argv) {
    /* pytest arguments, exactly as `python3 -m pytest ARGS` takes them.
     * None are needed (the demo's pytest.ini sets testpaths); this one only
     * keeps pytest from writing a .pytest_cache into the project. */
    const char *pytest_args[] = {"-p", "no:cacheprovider"};

    tach_init_options opts = TACH_INIT_OPTIONS_INIT; /* every field defaulted */
    opts.project_root = argc > 1 ? argv[1] : "examples/demo";
    opts.args = pytest_args;
    opts.nargs = sizeof pytest_args / sizeof pytest_args[0];
    opts.isolation = TACH_ISOLATION_AUTO; /* snapshot where the kernel allows */
    opts.timeout_seconds = 60;            /* a hanging test becomes "timeout" */

    /* On failure tach_init still hands back an engine (or NULL) so that
     * tach_errmsg can say why; it must be shut down either way. */
    tach_engine *engine = NULL;
    int status = tach_init(&engine, &opts);
    if (status != TACH_OK) {
        int rc = report_error("tach_init", status, engine);
        tach_shutdown(engine);
        return rc;
    }
    printf("libtach %s, python %s, pytest %s\n", tach_version(), tach_python_version(engine),
           tach_pytest_version(engine));

    /* A file that cannot be imported is a collection error, not a failure
     * of tach_init. */
    for (size_t i = 0; i < tach_collect_error_count(engine); i++)
        fprintf(stderr, "collection error in %s:\n%s\n", tach_collect_error_nodeid(engine, i),
                tach_collect_error_text(engine, i));

    status = tach_snapshot(engine);
    if (status != TACH_OK) {
        int rc = report_error("tach_snapshot", status, engine);
        tach_shutdown(engine);
        return rc;
    }
    /* AUTO is resolved now: say which mode runs and why. */
    printf("isolation: %s: %s\n", tach_isolation_name(tach_engine_isolation(engine)),
           tach_engine_isolation_reason(engine));

    size_t count = tach_test_count(engine);
    size_t unexpected = 0;
    printf("collected %zu tests\n", count);
    for (size_t i = 0; i < count; i++) {
        /* The node id is owned by the engine: valid until tach_shutdown. */
        const char *nodeid = tach_test_nodeid(engine, i);

        tach_result *result = NULL;
        status = tach_run_test(engine, nodeid, &result);
        if (status != TACH_OK) {
            int rc = report_error("tach_run_test", status, engine);
            tach_shutdown(engine);
            return rc;
        }

        tach_outcome outcome = tach_result_outcome(result);
        int as_expected = outcome == expected_outcome(nodeid);
        if (!as_expected)
            unexpected++;
        /* outcome, wall time of setup+call+teardown, node id, and the
         * reason (exception line, skip or xfail reason) if any; only its
         * first line: an assertion message can go on for several. */
        const char *message = tach_result_message(result);
        printf("%-8s %6.3fs %s%s%.*s%s\n", tach_outcome_name(outcome),
               tach_result_duration(result), nodeid, *message ? "  -- " : "",
               (int)strcspn(message, "\n"), message, as_expected ? "" : "  [UNEXPECTED]");
        if (tach_result_worker_replaced(result))
            printf("         worker replaced: %s\n", tach_result_replace_reason(result));
        tach_result_free(result); /* results are the caller's to free */

        /* Back to the golden image before the next test (a no-op in fork
         * and none isolation; calling it is always correct). */
        status = tach_restore(engine);
        if (status != TACH_OK) {
            int rc = report_error("tach_restore", status, engine);
            tach_shutdown(engine);
            return rc;
        }
    }
    tach_shutdown(engine);

    if (count != DEMO_TEST_COUNT || unexpected != 0) {
        fprintf(stderr, "c_api: %zu tests (expected %d), %zu with an unexpected outcome\n", count,
                DEMO_TEST_COUNT, unexpected);
        return 1;
    }
    printf("all %zu outcomes as expected\n", count);
    return 0;
}
