/*
 * api_fixture.h — what the cmocka tests of the C API (test_api.c,
 * test_coverage_api.c, test_runners.c) share: the includes cmocka needs,
 * the fixture paths, options pointing at a fixture suite, running one test
 * that must run, and the leak checks (child processes, descriptors).
 *
 * Header-only: every helper is `static inline` so a test that uses only
 * some of them builds without unused-function warnings.  Include it first
 * (it defines _GNU_SOURCE before any system header).
 *
 * TACH_TEST_FIXTURES (a -D define) is the absolute path of tests/fixtures;
 * the worker and the shim are found through $TACH_WORKER / $TACH_SHIM_DIR
 * (set by tests/meson.build's test_env).
 */
#ifndef TACH_TESTS_UNIT_API_FIXTURE_H
#define TACH_TESTS_UNIT_API_FIXTURE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <tach.h>

#ifndef TACH_TEST_FIXTURES
#error "TACH_TEST_FIXTURES must be defined (the absolute path of tests/fixtures)"
#endif

#define BASIC_DIR TACH_TEST_FIXTURES "/basic"
#define NODE(name) "test_basic.py::" name

/* Options for an engine on the suite at `root` in `isolation`; the caller
 * sets whatever else its test needs before tach_init. */
static inline tach_init_options fixture_options(const char *root, tach_isolation isolation) {
    tach_init_options opts = TACH_INIT_OPTIONS_INIT;
    opts.project_root = root;
    opts.isolation = isolation;
    return opts;
}

/* Run one test; the call itself must succeed and answer for that test. */
static inline tach_result *run_ok(tach_engine *engine, const char *nodeid) {
    tach_result *result = NULL;
    /* The test may crash its process: whatever we printed must be out. */
    fflush(stdout);
    fflush(stderr);
    int status = tach_run_test(engine, nodeid, &result);
    if (status != TACH_OK)
        fail_msg("tach_run_test(%s) = %s: %s", nodeid, tach_strerror(status), tach_errmsg(engine));
    assert_non_null(result);
    assert_string_equal(tach_result_nodeid(result), nodeid);
    return result;
}

/* Processes whose parent is this process: the workers we started and did
 * not reap (zombies included).  Writes their pids and names to `report`
 * (which may be NULL when `report_size` is 0). */
static inline int count_our_children(char *report, size_t report_size) {
    pid_t self = getpid();
    int count = 0;
    size_t used = 0;
    if (report_size) report[0] = '\0';
    DIR *proc = opendir("/proc");
    if (!proc) return -1;
    struct dirent *entry;
    while ((entry = readdir(proc)) != NULL) {
        if (!isdigit((unsigned char)entry->d_name[0])) continue;
        char path[300], stat_line[1024];
        snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue; /* exited meanwhile */
        size_t n = fread(stat_line, 1, sizeof stat_line - 1, f);
        fclose(f);
        stat_line[n] = '\0';
        /* "pid (comm) state ppid ...": comm may hold spaces and parens. */
        const char *close_paren = strrchr(stat_line, ')');
        const char *open_paren = strchr(stat_line, '(');
        if (!close_paren || !open_paren) continue;
        char state;
        int ppid;
        if (sscanf(close_paren + 1, " %c %d", &state, &ppid) != 2) continue;
        if (ppid != self) continue;
        count++;
        if (used < report_size) {
            int w = snprintf(report + used, report_size - used, " %s%.*s[%c]", entry->d_name,
                             (int)(close_paren - open_paren + 1), open_paren, state);
            if (w > 0) used += (size_t)w;
        }
    }
    closedir(proc);
    return count;
}

static inline void assert_no_children(void) {
    char report[2048];
    int n = count_our_children(report, sizeof report);
    if (n != 0) fail_msg("%d child process(es) of ours remain:%s", n, report);
}

/* Open descriptors of this process (the listing's own included: compare
 * two counts, never one with a fixed number). */
static inline int count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    int n = 0;
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL)
        if (isdigit((unsigned char)entry->d_name[0])) n++;
    closedir(d);
    return n;
}

/* With no argument every group runs; with one, only the group of that
 * name (meson registers each group as its own test). */
static inline int group_wanted(int argc, char **argv, const char *group) {
    return argc < 2 || strcmp(argv[1], group) == 0;
}

/* Writes (mode "w") or appends ("a") `text` to dir/name, for the projects
 * tests make on the fly.  0, or -1 when it could not. */
static inline int fixture_write(const char *dir, const char *name, const char *text, const char *mode) {
    char path[PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, mode);
    if (!f) return -1;
    int ok = fputs(text, f) >= 0;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* Group setup for snapshot-mode groups: skips them where the kernel or the
 * machine does not allow snapshot isolation (and says why). */
static inline int skip_without_snapshot(void **state) {
    (void)state;
    tach_capabilities caps = TACH_CAPABILITIES_INIT;
    if (tach_probe_capabilities(&caps) != TACH_OK || !caps.snapshot_supported) {
        printf("snapshot isolation unavailable here: %s\n", caps.reason);
        skip();
    }
    return 0;
}

#endif
