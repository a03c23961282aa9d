/*
 * c_dlopen.c — run the demo suite through tach's C API loaded at run time
 * with dlopen + dlsym: no tach.h, no link-time dependency on libtach.
 *
 *     c_dlopen LIBTACH PROJECT_DIR
 *
 * LIBTACH is the library's path (or "libtach.so.0" to let the dynamic
 * linker search for it).  Prints one line per test, "OUTCOME NODEID", then
 * "tests: N".  Exit status 0 when every call worked, 2 when one failed.
 *
 * What a host that loads the library itself must mirror from tach.h: the
 * first layout of tach_init_options (up to shim_path; the `size` field
 * tells the library which layout it got) and the signatures below.
 *
 * Build:  cc c_dlopen.c -ldl -o c_dlopen    (glibc 2.34+: no -ldl needed)
 */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>

/* tach.h's first tach_init_options layout, field for field. */
struct init_options_v1 {
    size_t size;
    const char *project_root;
    const char *const *args;
    size_t nargs;
    const char *python;
    int isolation;          /* 0: TACH_ISOLATION_AUTO */
    double timeout_seconds;
    const char *worker_path;
    const char *shim_path;
};

/* The functions this host calls, as tach.h declares them (opaque handles
 * as void *). */
struct tach_api {
    int (*init_options_init)(struct init_options_v1 *);
    int (*init)(void **, const struct init_options_v1 *);
    void (*shutdown)(void *);
    const char *(*errmsg)(const void *);
    int (*snapshot)(void *);
    size_t (*test_count)(const void *);
    const char *(*test_nodeid)(const void *, size_t);
    int (*run_test)(void *, const char *, void **);
    int (*restore)(void *);
    int (*result_outcome)(const void *);
    const char *(*outcome_name)(int);
    void (*result_free)(void *);
};

/* dlsym returns void *; storing it through a void ** is the POSIX idiom
 * for turning it into a function pointer (ISO C alone has no such cast). */
#define LOAD(field, name)                                                    \
    do {                                                                     \
        *(void **)(&api->field) = dlsym(lib, name);                          \
        if (!api->field) {                                                   \
            fprintf(stderr, "c_dlopen: %s: %s\n", name, dlerror());          \
            return -1;                                                       \
        }                                                                    \
    } while (0)

static int load(void *lib, struct tach_api *api) {
    /* tach.h maps the name tach_init_options_init to the newest
     * initialiser at compile time; the exported symbol of that name fills
     * the first layout, the one mirrored above. */
    LOAD(init_options_init, "tach_init_options_init");
    LOAD(init, "tach_init");
    LOAD(shutdown, "tach_shutdown");
    LOAD(errmsg, "tach_errmsg");
    LOAD(snapshot, "tach_snapshot");
    LOAD(test_count, "tach_test_count");
    LOAD(test_nodeid, "tach_test_nodeid");
    LOAD(run_test, "tach_run_test");
    LOAD(restore, "tach_restore");
    LOAD(result_outcome, "tach_result_outcome");
    LOAD(outcome_name, "tach_outcome_name");
    LOAD(result_free, "tach_result_free");
    return 0;
}

static int fail(const struct tach_api *api, void *engine, const char *call) {
    fprintf(stderr, "c_dlopen: %s failed: %s\n", call, api->errmsg(engine));
    api->shutdown(engine);
    return 2;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: c_dlopen LIBTACH PROJECT_DIR\n");
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "c_dlopen: %s\n", dlerror());
        return 2;
    }
    struct tach_api api;
    if (load(lib, &api) != 0)
        return 2;

    const char *pytest_args[] = {"-p", "no:cacheprovider"};
    struct init_options_v1 opts;
    api.init_options_init(&opts);
    opts.size = sizeof opts; /* the first layout: later fields defaulted */
    opts.project_root = argv[2];
    opts.args = pytest_args;
    opts.nargs = 2;
    opts.timeout_seconds = 60;

    void *engine = NULL;
    if (api.init(&engine, &opts) != 0)
        return fail(&api, engine, "tach_init");
    if (api.snapshot(engine) != 0)
        return fail(&api, engine, "tach_snapshot");
    size_t count = api.test_count(engine);
    for (size_t i = 0; i < count; i++) {
        const char *nodeid = api.test_nodeid(engine, i);
        void *result = NULL;
        if (api.run_test(engine, nodeid, &result) != 0)
            return fail(&api, engine, "tach_run_test");
        printf("%s %s\n", api.outcome_name(api.result_outcome(result)), nodeid);
        api.result_free(result);
        if (api.restore(engine) != 0)
            return fail(&api, engine, "tach_restore");
    }
    printf("tests: %zu\n", count);
    api.shutdown(engine);
    dlclose(lib);
    return 0;
}
