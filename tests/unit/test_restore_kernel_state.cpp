// Unit tests of the kernel-state side of in-place restore:
// src/restore/{fd_table,signal_state,process_state,children,threads}.
//
// Every case runs in a forked child, so that the runner's own fds, signals,
// cwd and limits are never disturbed: the child saves, dirties the state the
// way a test would, restores, checks every item, and reports through a pipe
// (lines "FAIL ..." or "# ...") and its exit status.  cmocka's assertions are
// only used in the parent.
//
// The binary replaces malloc & co. with counting wrappers so that the cases
// can check that restore() allocates nothing.
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

// Before cmocka.h, whose fail() macro would eat restore::fail().
#include "restore/arena.hpp"
#include "restore/children.hpp"
#include "restore/fd_table.hpp"
#include "restore/process_state.hpp"
#include "restore/restore_error.hpp"
#include "restore/signal_state.hpp"
#include "restore/threads.hpp"

extern "C" {
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
}


using namespace tach::restore;

// ------------------------------------------------------- allocation counter

extern "C" {
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void *__libc_memalign(size_t, size_t);
void __libc_free(void *);
}

namespace {
volatile bool g_count_allocs = false;
volatile long g_allocs = 0;
inline void note_alloc() {
    if (g_count_allocs) g_allocs = g_allocs + 1;
}
}  // namespace

extern "C" {
void *malloc(size_t n) noexcept {
    note_alloc();
    return __libc_malloc(n);
}
void *calloc(size_t a, size_t b) noexcept {
    note_alloc();
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n) noexcept {
    note_alloc();
    return __libc_realloc(p, n);
}
void *memalign(size_t align, size_t n) noexcept {
    note_alloc();
    return __libc_memalign(align, n);
}
void *aligned_alloc(size_t align, size_t n) noexcept {
    note_alloc();
    return __libc_memalign(align, n);
}
int posix_memalign(void **out, size_t align, size_t n) noexcept {
    note_alloc();
    void *p = __libc_memalign(align, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
void free(void *p) noexcept { __libc_free(p); }
}

namespace {

// ---------------------------------------------------------- child harness

constexpr int kReportFd = 990;  // the child's report pipe: an engine fd
int g_failures = 0;

void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void report(const char *fmt, ...) {
    char buf[600];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > static_cast<int>(sizeof buf) - 1) n = sizeof buf - 1;
    if (n > 0 && write(kReportFd, buf, n) < 0) {
    }
}

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            report("FAIL %s:%d: %s (errno %d %s)\n", __FILE__, __LINE__, #cond, errno,      \
                   strerror(errno));                                                        \
            ++g_failures;                                                                   \
        }                                                                                   \
    } while (0)
#define REQUIRE(cond)                                                                       \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            report("FAIL %s:%d: required %s (errno %d %s)\n", __FILE__, __LINE__, #cond,    \
                   errno, strerror(errno));                                                 \
            ++g_failures;                                                                   \
            return;                                                                         \
        }                                                                                   \
    } while (0)
// A restore call that must succeed: says why if it did not.
#define CHECK_OK(call, err)                                                                 \
    do {                                                                                    \
        (err) = RestoreError{nullptr, 0};                                                   \
        if (!(call)) {                                                                      \
            report("FAIL %s:%d: %s: %s (errno %d)\n", __FILE__, __LINE__, #call,            \
                   (err).what ? (err).what : "?", (err).sys_errno);                         \
            ++g_failures;                                                                   \
        }                                                                                   \
    } while (0)

// Runs fn in a forked child with a 30 s limit; fails the cmocka test when
// the child reports a failure, dies, or hangs.  "# " lines are printed.
void run_in_child(void (*fn)()) {
    fflush(nullptr);
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        if (dup3(p[1], kReportFd, O_CLOEXEC) < 0) _exit(99);
        close(p[1]);
        g_failures = 0;
        fn();
        _exit(g_failures == 0 ? 0 : 1);
    }
    close(p[1]);
    std::string out;
    int status = 0;
    bool exited = false, timed_out = false;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct pollfd pfd = {p[0], POLLIN, 0};
        int r = poll(&pfd, 1, 50);
        if (r > 0) {
            char buf[4096];
            ssize_t n = read(p[0], buf, sizeof buf);
            if (n > 0) {
                out.append(buf, static_cast<size_t>(n));
                continue;
            }
            if (n == 0 && exited) break;
        }
        if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
            exited = true;
            // Grandchildren may hold the pipe: drain what is there and stop.
            fcntl(p[0], F_SETFL, O_NONBLOCK);
            char buf[4096];
            ssize_t n;
            while ((n = read(p[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
            break;
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec > 30) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            timed_out = true;
            break;
        }
    }
    close(p[0]);
    size_t at = 0;
    while (at < out.size()) {
        size_t nl = out.find('\n', at);
        if (nl == std::string::npos) nl = out.size();
        print_message("%s\n", out.substr(at, nl - at).c_str());
        at = nl + 1;
    }
    if (timed_out) fail_msg("child timed out");
    if (!WIFEXITED(status)) fail_msg("child died with signal %d", WTERMSIG(status));
    if (WEXITSTATUS(status) != 0) fail_msg("child reported failures (exit %d)", WEXITSTATUS(status));
}

// The units live in an Arena in the engine; do the same here.
template <typename T>
T *make() {
    static Arena arena;
    if (arena.begin() == 0 && !arena.reserve(std::size_t{64} << 20)) return nullptr;
    return arena.allocate_array<T>(1);
}

struct Ident {
    dev_t dev;
    ino_t ino;
    bool operator==(const Ident &o) const { return dev == o.dev && ino == o.ino; }
};

Ident ident(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0) return Ident{0, 0};
    return Ident{st.st_dev, st.st_ino};
}

long kcmp_files(int a, int b) { return syscall(SYS_kcmp, getpid(), getpid(), 0, a, b); }

// An unlinked temporary file holding `content`, O_CLOEXEC.
int temp_file(const char *content = "0123456789abcdefghijklmnopqrstuvwxyz") {
    char path[] = "/tmp/tach-kstate-XXXXXX";
    int fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0) return -1;
    unlink(path);
    if (write(fd, content, strlen(content)) < 0) return -1;
    return fd;
}

bool is_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }

// True when no open fd below 4096 is one of the files in `gone`.
bool none_open(const std::vector<Ident> &gone) {
    for (int fd = 0; fd < 4096; ++fd) {
        if (!is_open(fd)) continue;
        Ident id = ident(fd);
        for (const Ident &g : gone)
            if (id == g) return false;
    }
    return true;
}

double elapsed_us(const struct timespec &a, const struct timespec &b) {
    return (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3;
}

struct Timing {
    std::vector<double> samples;
    void add(double us) { samples.push_back(us); }
    void print(const char *what) {
        std::sort(samples.begin(), samples.end());
        size_t n = samples.size();
        if (n == 0) return;
        report("# %-42s n=%zu median %.2f us  p99 %.2f us  max %.2f us\n", what, n,
               samples[n / 2], samples[std::min(n - 1, n * 99 / 100)], samples[n - 1]);
    }
};

// ================================================================ fd_table

void child_fd_table_restores_dirtied_table() {
    int stdin_flags = fcntl(0, F_GETFL);
    int fa = temp_file();
    REQUIRE(fa >= 0);
    REQUIRE(lseek(fa, 5, SEEK_SET) == 5);
    int pp[2];
    REQUIRE(pipe(pp) == 0);
    char bpath[] = "/tmp/tach-kstate-XXXXXX";
    int tmpb = mkstemp(bpath);
    REQUIRE(tmpb >= 0);
    int fb = open(bpath, O_WRONLY | O_APPEND | O_CLOEXEC);
    REQUIRE(fb >= 0);
    unlink(bpath);
    close(tmpb);
    int fc = temp_file();
    REQUIRE(fc >= 0 && fcntl(fc, F_SETFD, 0) == 0);
    int fd_d = temp_file();
    REQUIRE(fd_d >= 0);
    const Ident ident_d = ident(fd_d), ident_a = ident(fa);
    int ref0 = dup(0), ref1 = dup(1), ref2 = dup(2);
    REQUIRE(ref0 >= 0 && ref1 >= 0 && ref2 >= 0);

    const int n_before = count_open_fds();
    FdTable *t = make<FdTable>();
    REQUIRE(t);
    RestoreError err{};
    const int engine[] = {kReportFd};
    CHECK_OK(t->save(engine, 1, &err), err);
    REQUIRE(t->saved());
    CHECK(static_cast<int>(t->size()) == n_before - 1);  // all but the report fd
    for (size_t i = 0; i < t->size(); ++i) CHECK(t->entry(i).dup >= FdTable::kDupFloor);
    const int n_saved = count_open_fds();
    CHECK(n_saved == n_before + static_cast<int>(t->size()) + 1);

    for (int round = 0; round < 3; ++round) {
        std::vector<Ident> dirt;
        // Files opened and left open, one of them high up.
        int n1 = open("/dev/null", O_RDONLY);
        int n2 = temp_file();
        int sp[2];
        CHECK(n1 >= 0 && n2 >= 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
        int n4 = fcntl(n2, F_DUPFD, 300);
        CHECK(n4 >= 300);
        dirt.push_back(ident(n2));
        dirt.push_back(ident(sp[0]));
        dirt.push_back(ident(sp[1]));
        // Capture left active over 1, stderr closed (or replaced).
        int cap = temp_file();
        CHECK(cap >= 0 && dup2(cap, 1) == 1);
        dirt.push_back(ident(cap));
        if (round == 1) {
            CHECK(dup2(cap, 2) == 2);
        } else {
            close(2);
        }
        // Offsets, flags, and a replaced fd.
        CHECK(lseek(fa, 100, SEEK_SET) == 100);
        CHECK(fcntl(fa, F_SETFD, 0) == 0);
        CHECK(fcntl(pp[0], F_SETFL, O_NONBLOCK) == 0);
        CHECK(fcntl(fb, F_SETFL, 0) == 0);
        CHECK(write(fb, "xyz", 3) == 3);
        CHECK(fcntl(fc, F_SETFD, FD_CLOEXEC) == 0);
        CHECK(fcntl(0, F_SETFL, stdin_flags | O_NONBLOCK) == 0);
        int x = temp_file();
        CHECK(x >= 0 && dup2(x, fd_d) == fd_d);
        dirt.push_back(ident(x));
        close(x);
        if (round == 2) {
            // Snapshot fds closed and their numbers reused by new files.
            close(fa);
            close(pp[0]);
            int y = temp_file();
            int z = temp_file();
            dirt.push_back(ident(y));
            dirt.push_back(ident(z));
        }

        CHECK_OK(t->restore(&err), err);

        CHECK(count_open_fds() == n_saved);
        CHECK(kcmp_files(0, ref0) == 0);
        CHECK(kcmp_files(1, ref1) == 0);
        CHECK(kcmp_files(2, ref2) == 0);
        CHECK(ident(fa) == ident_a);
        CHECK(lseek(fa, 0, SEEK_CUR) == 5);
        CHECK(fcntl(fa, F_GETFD) == FD_CLOEXEC);
        CHECK((fcntl(pp[0], F_GETFL) & O_NONBLOCK) == 0);
        CHECK((fcntl(fb, F_GETFL) & O_APPEND) != 0);
        CHECK(fcntl(fc, F_GETFD) == 0);
        CHECK(ident(fd_d) == ident_d);
        CHECK(fcntl(0, F_GETFL) == stdin_flags);
        CHECK(none_open(dirt));
        CHECK(!is_open(n4));
    }
    // The pipe still works end to end after being put back.
    char c = 0;
    CHECK(write(pp[1], "k", 1) == 1 && read(pp[0], &c, 1) == 1 && c == 'k');
    t->release();
    CHECK(count_open_fds() == n_before);
}

// pytest's FDCapture: dup the target away, dup2 a tmpfile over it, and back.
void child_fd_table_pytest_capture() {
    FdTable *t = make<FdTable>();
    REQUIRE(t);
    RestoreError err{};
    const int engine[] = {kReportFd};
    int ref1 = dup(1), ref2 = dup(2);
    REQUIRE(ref1 >= 0 && ref2 >= 0);
    CHECK_OK(t->save(engine, 1, &err), err);
    const int n_saved = count_open_fds();
    for (int round = 0; round < 4; ++round) {
        int saved1 = dup(1), saved2 = dup(2);
        int tmp1 = temp_file(""), tmp2 = temp_file("");
        CHECK(dup2(tmp1, 1) == 1 && dup2(tmp2, 2) == 2);
        CHECK(write(1, "out\n", 4) == 4 && write(2, "err\n", 4) == 4);
        if (round % 2 == 0) {  // the capture finished normally
            CHECK(dup2(saved1, 1) == 1 && dup2(saved2, 2) == 2);
            close(saved1);
            close(saved2);
            close(tmp1);
            close(tmp2);
        } else {  // the test's os.dup2 / os.close left things half done
            int x = temp_file();
            CHECK(dup2(x, 1) == 1);
            close(2);
        }
        CHECK_OK(t->restore(&err), err);
        CHECK(count_open_fds() == n_saved);
        CHECK(kcmp_files(1, ref1) == 0 && kcmp_files(2, ref2) == 0);
    }
}

void child_fd_table_engine_fds_survive() {
    FdTable *t = make<FdTable>();
    REQUIRE(t);
    RestoreError err{};
    int early = open("/dev/null", O_RDONLY | O_CLOEXEC);  // engine fd open at save
    REQUIRE(early >= 0);
    const int engine[] = {kReportFd, early};
    CHECK_OK(t->save(engine, 2, &err), err);
    for (size_t i = 0; i < t->size(); ++i) CHECK(t->entry(i).fd != early);
    int late = open("/dev/null", O_RDONLY | O_CLOEXEC);  // engine fd opened after save
    int stray = open("/dev/null", O_RDONLY | O_CLOEXEC);  // not the engine's
    REQUIRE(late >= 0 && stray >= 0);
    CHECK(t->engine_fd(late));
    CHECK_OK(t->restore(&err), err);
    CHECK(is_open(early));
    CHECK(is_open(late));
    CHECK(!is_open(stray));
    CHECK(is_open(t->dir_fd()));
    CHECK(is_open(kReportFd));
    // An engine fd the test closed is not the table's business.
    close(early);
    CHECK_OK(t->restore(&err), err);
}

void child_fd_table_offsets_policy() {
    FdTable *t = make<FdTable>();
    REQUIRE(t);
    RestoreError err{};
    int f = temp_file();
    REQUIRE(f >= 0 && lseek(f, 3, SEEK_SET) == 3);
    const int engine[] = {kReportFd};
    CHECK_OK(t->save(engine, 1, &err), err);
    // stdio offsets are left alone by default, others restored.
    for (size_t i = 0; i < t->size(); ++i) {
        const FdEntry &e = t->entry(i);
        if (e.fd <= 2) CHECK(!e.restore_offset);
        if (e.fd == f) CHECK(e.restore_offset && e.offset == 3);
    }
    CHECK(t->set_restore_offset(f, false));
    CHECK(lseek(f, 10, SEEK_SET) == 10);
    CHECK_OK(t->restore(&err), err);
    CHECK(lseek(f, 0, SEEK_CUR) == 10);
    CHECK(t->set_restore_offset(f, true));
    CHECK_OK(t->restore(&err), err);
    CHECK(lseek(f, 0, SEEK_CUR) == 3);
    CHECK(!t->set_restore_offset(9999, true));  // not in the snapshot
}

void child_fd_table_broken_dups_are_errors() {
    FdTable *t = make<FdTable>();
    REQUIRE(t);
    RestoreError err{};
    const int engine[] = {kReportFd};
    int f = temp_file();
    REQUIRE(f >= 0);

    // 1. The test closed a saved duplicate.
    CHECK_OK(t->save(engine, 1, &err), err);
    REQUIRE(t->size() > 0);
    const FdEntry *ef = nullptr;
    for (size_t i = 0; i < t->size(); ++i)
        if (t->entry(i).fd == f) ef = &t->entry(i);
    REQUIRE(ef);
    close(ef->dup);
    err = RestoreError{};
    CHECK(!t->restore(&err));
    CHECK(err.what != nullptr);
    report("# closed dup -> %s\n", err.what ? err.what : "(null)");

    // 2. The test put another file on a saved duplicate's number.
    CHECK_OK(t->save(engine, 1, &err), err);
    for (size_t i = 0; i < t->size(); ++i)
        if (t->entry(i).fd == f) ef = &t->entry(i);
    int x = temp_file();
    CHECK(dup2(x, ef->dup) == ef->dup);
    close(x);
    err = RestoreError{};
    CHECK(!t->restore(&err));
    CHECK(err.what != nullptr);
    report("# replaced dup -> %s\n", err.what ? err.what : "(null)");

    // 3. Restore in a process forked after save.
    CHECK_OK(t->save(engine, 1, &err), err);
    pid_t pid = fork();
    if (pid == 0) {
        RestoreError e{};
        bool ok = t->restore(&e);
        _exit(!ok && e.what ? 0 : 1);
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);

    // 4. Nothing saved.
    FdTable *empty = make<FdTable>();
    err = RestoreError{};
    CHECK(!empty->restore(&err) && err.what);
}

// Docker's default seccomp profile refuses kcmp (EPERM): restore falls back
// to re-pointing every fd from its checked duplicate, still exact.
void child_fd_table_without_kcmp() {
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_kcmp, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
    int fa = temp_file();
    REQUIRE(fa >= 0 && lseek(fa, 4, SEEK_SET) == 4);
    const Ident ident_a = ident(fa), ident_1 = ident(1);
    FdTable *t = make<FdTable>();
    REQUIRE(t);
    RestoreError err{};
    const int engine[] = {kReportFd};
    CHECK_OK(t->save(engine, 1, &err), err);
    const int n_saved = count_open_fds();
    REQUIRE(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
    REQUIRE(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0);
    REQUIRE(kcmp_files(0, 0) == -1 && errno == EPERM);
    int x = temp_file();
    CHECK(dup2(x, 1) == 1 && dup2(x, fa) == fa);
    CHECK_OK(t->restore(&err), err);
    CHECK(count_open_fds() == n_saved);
    CHECK(ident(fa) == ident_a && lseek(fa, 0, SEEK_CUR) == 4);
    CHECK(ident(1) == ident_1);
    // A broken duplicate is still caught.
    close(t->entry(0).dup);
    err = RestoreError{};
    CHECK(!t->restore(&err) && err.what);
}

// A POSIX record lock the snapshot holds survives restore: an fd that was
// not replaced is never closed (closing any fd of the file would drop it).
void child_fd_table_keeps_posix_locks() {
    int f = temp_file();
    REQUIRE(f >= 0);
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    REQUIRE(fcntl(f, F_SETLK, &fl) == 0);
    FdTable *t = make<FdTable>();
    REQUIRE(t);
    RestoreError err{};
    const int engine[] = {kReportFd};
    CHECK_OK(t->save(engine, 1, &err), err);
    CHECK(lseek(f, 2, SEEK_SET) == 2);
    CHECK(temp_file() >= 0);
    CHECK_OK(t->restore(&err), err);
    pid_t me = getpid();
    pid_t probe = fork();
    if (probe == 0) {
        struct flock q;
        memset(&q, 0, sizeof q);
        q.l_type = F_WRLCK;
        q.l_whence = SEEK_SET;
        if (fcntl(f, F_GETLK, &q) != 0) _exit(2);
        _exit(q.l_type == F_WRLCK && q.l_pid == me ? 0 : 1);
    }
    int status = 0;
    CHECK(waitpid(probe, &status, 0) == probe && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

void child_fd_table_capacity() {
    struct rlimit rl;
    REQUIRE(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 2048) {
        report("# skipped: RLIMIT_NOFILE hard limit %lu\n", static_cast<unsigned long>(rl.rlim_max));
        return;
    }
    rl.rlim_cur = 2048;
    REQUIRE(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    std::vector<int> extra;
    while (count_open_fds() <= static_cast<int>(FdTable::kMaxFds) + 2) {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        extra.push_back(fd);
    }
    const int n = count_open_fds();
    FdTable *t = make<FdTable>();
    RestoreError err{};
    const int engine[] = {kReportFd};
    CHECK(!t->save(engine, 1, &err));
    CHECK(err.what != nullptr);
    CHECK(!t->saved());
    CHECK(count_open_fds() == n);  // nothing left behind
    report("# %d fds -> %s\n", n, err.what ? err.what : "(null)");
    for (int fd : extra) close(fd);
    CHECK_OK(t->save(engine, 1, &err), err);
}

// ============================================================ signal_state

volatile sig_atomic_t g_hits_a = 0, g_hits_b = 0;
void handler_a(int) { g_hits_a = g_hits_a + 1; }
void handler_b(int) { g_hits_b = g_hits_b + 1; }
void handler_info(int, siginfo_t *, void *) { g_hits_b = g_hits_b + 1; }

bool same_action(const KernelSigaction &a, const KernelSigaction &b) {
    return a.handler == b.handler && a.flags == b.flags && a.restorer == b.restorer &&
           a.mask == b.mask;
}

std::uint64_t sigbit(int sig) { return std::uint64_t{1} << (sig - 1); }

alignas(16) char g_altstack_a[64 * 1024];
alignas(16) char g_altstack_b[64 * 1024];

// The snapshot: a few handlers, some blocked signals, one pending, an altstack.
void prepare_signal_snapshot() {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler_a;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGUSR1, &sa, nullptr);
    sigaction(SIGUSR2, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    sigaddset(&block, SIGRTMIN + 2);
    sigprocmask(SIG_SETMASK, &block, nullptr);
    raise(SIGUSR2);  // pending at the snapshot: must stay pending
    stack_t ss;
    ss.ss_sp = g_altstack_a;
    ss.ss_size = sizeof g_altstack_a;
    ss.ss_flags = 0;
    sigaltstack(&ss, nullptr);
}

void dirty_signals() {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler_b;
    sigaction(SIGUSR1, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_IGN);
    sa.sa_handler = nullptr;
    sa.sa_sigaction = handler_info;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGRTMIN + 3, &sa, nullptr);
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = SA_NOCLDWAIT;
    sigaction(SIGCHLD, &sa, nullptr);
    // glibc's own 32 (SIGCANCEL), through the raw syscall glibc does not filter.
    KernelSigaction raw{};
    read_kernel_sigaction(32, &raw);
    raw.handler = reinterpret_cast<void *>(handler_b);
    syscall(SYS_rt_sigaction, 32, &raw, nullptr, 8);
    // Mask: more blocked, one unblocked; blocked signals left pending.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGALRM);
    sigaddset(&set, SIGRTMIN + 4);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 2);
    sigprocmask(SIG_UNBLOCK, &set, nullptr);
    raise(SIGQUIT);
    union sigval v;
    v.sival_int = 1;
    for (int i = 0; i < 3; ++i) sigqueue(getpid(), SIGRTMIN + 4, v);
    // Altstack: another one, then disabled.
    stack_t ss;
    ss.ss_sp = g_altstack_b;
    ss.ss_size = sizeof g_altstack_b;
    ss.ss_flags = 0;
    sigaltstack(&ss, nullptr);
}

void check_signals_restored(const SignalState &s, const KernelSigaction *before) {
    for (int sig = 1; sig <= 64; ++sig) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        KernelSigaction now{};
        CHECK(read_kernel_sigaction(sig, &now));
        if (!same_action(now, before[sig])) {
            report("FAIL signal %d: handler %p flags %#lx, want %p %#lx\n", sig, now.handler,
                   now.flags, before[sig].handler, before[sig].flags);
            ++g_failures;
        }
        CHECK(s.action(sig) && same_action(*s.action(sig), before[sig]));
    }
    std::uint64_t mask = 0, pending = 0;
    CHECK(read_signal_mask(&mask));
    CHECK(mask == s.mask());
    CHECK(read_pending_signals(&pending));
    CHECK(pending == sigbit(SIGUSR2));
    stack_t ss;
    CHECK(sigaltstack(nullptr, &ss) == 0);
    CHECK(ss.ss_sp == g_altstack_a && ss.ss_size == sizeof g_altstack_a && ss.ss_flags == 0);
}

void child_signal_state_restores_everything() {
    prepare_signal_snapshot();
    KernelSigaction before[65];
    for (int sig = 1; sig <= 64; ++sig) read_kernel_sigaction(sig, &before[sig]);
    SignalState *s = make<SignalState>();
    REQUIRE(s);
    RestoreError err{};
    CHECK_OK(s->save(&err), err);
    CHECK(s->pending() == sigbit(SIGUSR2));
    CHECK(s->action(SIGKILL) == nullptr && s->action(0) == nullptr && s->action(65) == nullptr);
    for (int round = 0; round < 3; ++round) {
        dirty_signals();
        if (round == 2) {
            stack_t off;
            memset(&off, 0, sizeof off);
            off.ss_flags = SS_DISABLE;
            sigaltstack(&off, nullptr);
        }
        g_hits_a = 0;
        g_hits_b = 0;
        CHECK_OK(s->restore(&err), err);
        check_signals_restored(*s, before);
        CHECK(g_hits_a == 0 && g_hits_b == 0);  // nothing the test left was delivered
    }
}

// A signal pending at the snapshot that the test let through is pending
// again after restore.
void child_signal_state_repends_consumed_signals() {
    prepare_signal_snapshot();
    SignalState *s = make<SignalState>();
    REQUIRE(s);
    RestoreError err{};
    CHECK_OK(s->save(&err), err);
    g_hits_a = 0;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_UNBLOCK, &set, nullptr);  // handler_a runs now
    CHECK(g_hits_a == 1);
    std::uint64_t pending = 0;
    CHECK(read_pending_signals(&pending) && pending == 0);
    CHECK_OK(s->restore(&err), err);
    CHECK(read_pending_signals(&pending) && pending == sigbit(SIGUSR2));
    CHECK(g_hits_a == 1);
}

// A signal raised while restore runs (everything blocked) is dropped, not
// delivered to the snapshot's handler once the mask is put back.
void child_signal_state_drops_signals_raised_during_restore() {
    prepare_signal_snapshot();
    SignalState *s = make<SignalState>();
    REQUIRE(s);
    RestoreError err{};
    CHECK_OK(s->save(&err), err);
    g_hits_a = 0;
    CHECK_OK(s->begin(&err), err);
    std::uint64_t mask = 0;
    CHECK(read_signal_mask(&mask));
    CHECK((mask | sigbit(SIGKILL) | sigbit(SIGSTOP)) == ~std::uint64_t{0});
    raise(SIGUSR1);  // would run handler_a once unblocked
    kill(getpid(), SIGCHLD);
    CHECK(g_hits_a == 0);
    CHECK_OK(s->finish(&err), err);
    CHECK(g_hits_a == 0);
    std::uint64_t pending = 0;
    CHECK(read_pending_signals(&pending));
    CHECK(pending == sigbit(SIGUSR2));
    // The snapshot's handler is live again.
    raise(SIGUSR1);
    CHECK(g_hits_a == 1);
    SignalState *empty = make<SignalState>();
    err = RestoreError{};
    CHECK(!empty->restore(&err) && err.what);
}

// =========================================================== process_state

bool same_rlimit(const struct rlimit &a, const struct rlimit &b) {
    return a.rlim_cur == b.rlim_cur && a.rlim_max == b.rlim_max;
}

struct TempDirs {
    char a[64] = "/tmp/tach-kstate-a-XXXXXX";
    char b[64] = "/tmp/tach-kstate-b-XXXXXX";
    bool make() { return mkdtemp(a) && mkdtemp(b); }
    ~TempDirs() {
        rmdir(a);
        rmdir(b);
    }
};

// A POSIX timer (SIGEV_NONE when signo is 0), armed for 30 s if asked.
bool make_timer(int signo, bool armed, timer_t *out = nullptr) {
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = signo ? SIGEV_SIGNAL : SIGEV_NONE;
    sev.sigev_signo = signo;
    timer_t id{};
    if (timer_create(CLOCK_MONOTONIC, &sev, &id) != 0) return false;
    if (armed) {
        struct itimerspec its = {{0, 0}, {30, 0}};
        if (timer_settime(id, 0, &its, nullptr) != 0) return false;
    }
    if (out) *out = id;
    return true;
}

void child_process_state_restores_everything() {
    TempDirs dirs;
    REQUIRE(dirs.make());
    REQUIRE(chdir(dirs.a) == 0);
    umask(022);
    int ids[8];
    CHECK(list_posix_timers(ids, 8) == 0);
    ProcessState *p = make<ProcessState>();
    REQUIRE(p);
    RestoreError err{};
    CHECK_OK(p->save(&err), err);
    CHECK(p->timers_checked());
    CHECK(p->cwd_fd() >= 0 && p->timers_fd() >= 0);
    struct rlimit before[RLIM_NLIMITS];
    for (int r = 0; r < RLIM_NLIMITS; ++r)
        CHECK(prlimit(0, static_cast<__rlimit_resource>(r), nullptr, &before[r]) == 0);

    for (int round = 0; round < 3; ++round) {
        CHECK(chdir(dirs.b) == 0);
        umask(round == 1 ? 0 : 077);
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        rl.rlim_cur = 512;
        CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
        getrlimit(RLIMIT_CORE, &rl);
        rl.rlim_cur = rl.rlim_cur == 0 ? std::min<rlim_t>(4096, rl.rlim_max) : 0;
        CHECK(setrlimit(RLIMIT_CORE, &rl) == 0);
        getrlimit(RLIMIT_STACK, &rl);
        rl.rlim_cur = 1 << 20;
        CHECK(setrlimit(RLIMIT_STACK, &rl) == 0);
        struct itimerval it = {{0, 0}, {10, 0}};
        CHECK(setitimer(ITIMER_REAL, &it, nullptr) == 0);
        CHECK(setitimer(ITIMER_VIRTUAL, &it, nullptr) == 0);
        CHECK(setitimer(ITIMER_PROF, &it, nullptr) == 0);
        CHECK(make_timer(SIGUSR1, true));
        CHECK(make_timer(0, false));
        if (round == 2)
            for (int i = 0; i < 300; ++i) make_timer(0, false);  // more than one pass holds
        CHECK(list_posix_timers(ids, 8) >= 2);

        CHECK_OK(p->restore(&err), err);

        char cwd[256];
        CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, dirs.a) == 0);
        mode_t m = umask(0);
        umask(m);
        CHECK(m == 022);
        for (int r = 0; r < RLIM_NLIMITS; ++r) {
            struct rlimit now;
            CHECK(prlimit(0, static_cast<__rlimit_resource>(r), nullptr, &now) == 0);
            if (!same_rlimit(now, before[r])) {
                report("FAIL rlimit %d not restored\n", r);
                ++g_failures;
            }
        }
        for (int which : {ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF}) {
            CHECK(getitimer(static_cast<__itimer_which>(which), &it) == 0);
            CHECK(it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0 && it.it_interval.tv_sec == 0);
        }
        CHECK(list_posix_timers(ids, 8) == 0);
    }
    CHECK(chdir("/") == 0);
}

void child_process_state_snapshot_timers() {
    timer_t kept{};
    REQUIRE(make_timer(SIGUSR2, false, &kept));
    signal(SIGUSR2, SIG_IGN);
    ProcessState *p = make<ProcessState>();
    REQUIRE(p);
    RestoreError err{};
    CHECK_OK(p->save(&err), err);
    CHECK(p->timer_count() == 1);
    // Armed by the test: disarmed again by restore.
    struct itimerspec its = {{1, 0}, {20, 0}};
    CHECK(timer_settime(kept, 0, &its, nullptr) == 0);
    CHECK_OK(p->restore(&err), err);
    CHECK(timer_gettime(kept, &its) == 0);
    CHECK(its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0 && its.it_interval.tv_sec == 0);
    int ids[4];
    CHECK(list_posix_timers(ids, 4) == 1);
    // Deleted by the test: cannot be put back.
    CHECK(timer_delete(kept) == 0);
    err = RestoreError{};
    CHECK(!p->restore(&err) && err.what);
    report("# deleted snapshot timer -> %s\n", err.what ? err.what : "(null)");
}

// Drops CAP_SYS_RESOURCE from the effective set (root only), so that a
// lowered hard limit cannot be raised back.
bool drop_sys_resource() {
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &hdr, data) != 0) return false;
    data[CAP_SYS_RESOURCE / 32].effective &= ~(1u << (CAP_SYS_RESOURCE % 32));
    return syscall(SYS_capset, &hdr, data) == 0;
}

void child_process_state_lowered_hard_limit_is_an_error() {
    if (geteuid() == 0) REQUIRE(drop_sys_resource());
    ProcessState *p = make<ProcessState>();
    REQUIRE(p);
    RestoreError err{};
    struct rlimit rl;
    CHECK_OK(p->save(&err), err);
    REQUIRE(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    rl.rlim_max = rl.rlim_max - 1;
    if (rl.rlim_cur > rl.rlim_max) rl.rlim_cur = rl.rlim_max;
    CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    err = RestoreError{};
    CHECK(!p->restore(&err));
    CHECK(err.what != nullptr && err.sys_errno == EPERM);
    report("# lowered hard limit -> %s\n", err.what ? err.what : "(null)");
    ProcessState *empty = make<ProcessState>();
    err = RestoreError{};
    CHECK(!empty->restore(&err) && err.what);
}

// The one-call attributes: put back, or an error when they cannot be.
void child_process_state_attributes() {
    ProcessState *p = make<ProcessState>();
    REQUIRE(p);
    RestoreError err{};
    CHECK(prctl(PR_SET_NAME, "kstate-snap", 0, 0, 0) == 0);
    CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0);
    CHECK_OK(p->save(&err), err);
    CHECK(strcmp(p->comm(), "kstate-snap") == 0);
    const pid_t pgid = getpgid(0);
    cpu_set_t all;
    CHECK(sched_getaffinity(0, sizeof all, &all) == 0);
    const bool multi_cpu = CPU_COUNT(&all) > 1;

    CHECK(prctl(PR_SET_NAME, "test-renamed", 0, 0, 0) == 0);
    CHECK(prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) == 0);
    CHECK(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0);
    CHECK(prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) == 0);
    CHECK(setpgid(0, 0) == 0);  // own process group, same session
    if (multi_cpu) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(0, &one);
        CHECK(sched_setaffinity(0, sizeof one, &one) == 0);
    }
    CHECK_OK(p->restore(&err), err);
    char comm[16] = {};
    CHECK(prctl(PR_GET_NAME, comm, 0, 0, 0) == 0 && strcmp(comm, "kstate-snap") == 0);
    int v = -1;
    CHECK(prctl(PR_GET_PDEATHSIG, &v, 0, 0, 0) == 0 && v == 0);
    CHECK(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1);
    CHECK(prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0) == 0 && v == 1);
    CHECK(getpgid(0) == pgid);
    cpu_set_t now;
    CHECK(sched_getaffinity(0, sizeof now, &now) == 0 && CPU_EQUAL(&now, &all));

    // Credentials (root only): dropped, then regained.
    if (geteuid() == 0) {
        CHECK(syscall(SYS_setresgid, 65534, 65534, 0) == 0);
        CHECK(syscall(SYS_setresuid, 65534, 65534, 0) == 0);
        CHECK_OK(p->restore(&err), err);
        uid_t r, e, s;
        CHECK(getresuid(&r, &e, &s) == 0 && r == 0 && e == 0 && s == 0);
        gid_t gr, ge, gs;
        CHECK(getresgid(&gr, &ge, &gs) == 0 && gr == 0 && ge == 0 && gs == 0);
    }

    // A new session cannot be undone (in a child with its own snapshot).
    fflush(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
        ProcessState *q = make<ProcessState>();
        RestoreError e{};
        if (!q || !q->save(&e)) _exit(3);
        if (setsid() < 0) _exit(4);
        bool ok = q->restore(&e);
        report("# setsid -> %s\n", e.what ? e.what : "(null)");
        _exit(!ok && e.what ? 0 : 1);
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);

    // nice: raising it is allowed to anyone, lowering it back needs CAP_SYS_NICE.
    errno = 0;
    CHECK(nice(3) == 3);
    err = RestoreError{};
    bool ok = p->restore(&err);
    if (geteuid() == 0) {
        CHECK(ok);
        errno = 0;
        CHECK(getpriority(PRIO_PROCESS, 0) == 0 && errno == 0);
    } else {
        CHECK(!ok && err.what);
        report("# nice raised, unprivileged -> %s\n", err.what ? err.what : "(null)");
    }
}

void child_process_state_no_new_privs_is_an_error() {
    ProcessState *p = make<ProcessState>();
    REQUIRE(p);
    RestoreError err{};
    CHECK_OK(p->save(&err), err);
    CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
    err = RestoreError{};
    CHECK(!p->restore(&err) && err.what);
    report("# no_new_privs -> %s\n", err.what ? err.what : "(null)");
}

// ================================================================ children

void sleep_forever() {
    close(kReportFd);
    for (;;) pause();
}

void child_children_killed_and_reaped() {
    RestoreError err{};
    CHECK_OK(set_child_subreaper(&err), err);
    std::vector<pid_t> pids;
    pid_t sleeper = fork();
    if (sleeper == 0) sleep_forever();
    pids.push_back(sleeper);
    pid_t zombie = fork();
    if (zombie == 0) _exit(0);
    pids.push_back(zombie);
    pid_t own_session = fork();
    if (own_session == 0) {
        setsid();
        sleep_forever();
    }
    pids.push_back(own_session);
    pid_t stopped = fork();
    if (stopped == 0) {
        close(kReportFd);
        raise(SIGSTOP);
        sleep_forever();
    }
    pids.push_back(stopped);
    pid_t ignores = fork();
    if (ignores == 0) {
        signal(SIGTERM, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        sleep_forever();
    }
    pids.push_back(ignores);
    // A child that starts a grandchild and exits: the grandchild is
    // re-parented to us (subreaper) and must go too.
    int gp[2];
    REQUIRE(pipe(gp) == 0);
    pid_t middle = fork();
    if (middle == 0) {
        pid_t g = fork();
        if (g == 0) sleep_forever();
        if (write(gp[1], &g, sizeof g) < 0) _exit(1);
        _exit(0);
    }
    pid_t grandchild = 0;
    CHECK(read(gp[0], &grandchild, sizeof grandchild) == sizeof grandchild);
    pids.push_back(middle);
    pids.push_back(grandchild);
    usleep(20000);  // let the zombie exit and the middle child die

    pid_t listed[64];
    int n = list_children(listed, 64);
    CHECK(n >= 6);
    report("# children listed before: %d\n", n);

    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    CHECK_OK(kill_and_reap_children(&err), err);
    clock_gettime(CLOCK_MONOTONIC, &b);
    report("# kill_and_reap_children of %d children: %.0f us\n", n, elapsed_us(a, b));

    for (pid_t pid : pids) {
        errno = 0;
        CHECK(kill(pid, 0) == -1 && errno == ESRCH);
    }
    CHECK(list_children(listed, 64) == 0);
    errno = 0;
    CHECK(waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD);
    // Nothing to do: quick and successful.
    CHECK_OK(kill_and_reap_children(&err), err);
}

void child_children_keep_list_and_sigchld_ignored() {
    RestoreError err{};
    pid_t keep = fork();
    if (keep == 0) sleep_forever();
    pid_t go = fork();
    if (go == 0) sleep_forever();
    pid_t keep_list[] = {keep};
    CHECK_OK(kill_and_reap_children(keep_list, 1, 2000, &err), err);
    CHECK(kill(keep, 0) == 0);
    errno = 0;
    CHECK(kill(go, 0) == -1 && errno == ESRCH);
    // A test that ignores SIGCHLD (children auto-reaped): still fine.
    signal(SIGCHLD, SIG_IGN);
    pid_t more = fork();
    if (more == 0) sleep_forever();
    CHECK_OK(kill_and_reap_children(&err), err);
    errno = 0;
    CHECK(kill(keep, 0) == -1 && errno == ESRCH);
    CHECK(kill(more, 0) == -1);
}

// ================================================================= threads

void *exit_at_once(void *) { return nullptr; }

void *block_on_pipe(void *arg) {
    int fd = *static_cast<int *>(arg);
    char c;
    if (read(fd, &c, 1) < 0) return nullptr;
    return nullptr;
}

void child_threads_wait_single_thread() {
    CHECK(count_tasks() == 1);
    CHECK(wait_single_thread(0));
    Timing after_join;
    int still_there = 0;
    for (int i = 0; i < 200; ++i) {
        pthread_t th;
        REQUIRE(pthread_create(&th, nullptr, exit_at_once, nullptr) == 0);
        REQUIRE(pthread_join(th, nullptr) == 0);
        if (count_tasks() != 1) ++still_there;
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        CHECK(wait_single_thread(1000));
        clock_gettime(CLOCK_MONOTONIC, &b);
        after_join.add(elapsed_us(a, b));
        CHECK(count_tasks() == 1);
    }
    report("# threads: still listed right after pthread_join in %d of 200\n", still_there);
    after_join.print("wait_single_thread after pthread_join");

    int p[2];
    REQUIRE(pipe(p) == 0);
    pthread_t th;
    REQUIRE(pthread_create(&th, nullptr, block_on_pipe, &p[0]) == 0);
    CHECK(count_tasks() == 2);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    CHECK(!wait_single_thread(50));
    clock_gettime(CLOCK_MONOTONIC, &b);
    double waited = elapsed_us(a, b);
    CHECK(waited >= 50000 && waited < 2000000);
    RestoreError err{};
    CHECK(!wait_single_thread(10, &err) && err.what);
    report("# running thread -> %s after %.1f ms\n", err.what ? err.what : "(null)", waited / 1000);
    CHECK(write(p[1], "x", 1) == 1);
    pthread_join(th, nullptr);
    CHECK_OK(wait_single_thread(1000, &err), err);
}

// ============================================================ all together

// The sequence the engine runs (memory restore would sit between the fd
// table and SignalState::finish), against a test that dirties everything.
struct Units {
    FdTable *fds;
    SignalState *signals;
    ProcessState *process;
};

bool save_all(Units *u, RestoreError *err) {
    if (!u->signals->save(err) || !u->process->save(err)) return false;
    const int engine[] = {kReportFd, u->process->cwd_fd(), u->process->timers_fd()};
    return u->fds->save(engine, 3, err);
}

bool restore_all(Units *u, RestoreError *err) {
    return u->signals->begin(err) && wait_single_thread(kDefaultThreadsTimeoutMs, err) &&
           kill_and_reap_children(err) && u->process->restore(err) && u->fds->restore(err) &&
           /* memory restore goes here */ u->signals->finish(err);
}

void child_full_sequence() {
    RestoreError err{};
    CHECK_OK(set_child_subreaper(&err), err);
    TempDirs dirs;
    REQUIRE(dirs.make());
    REQUIRE(chdir(dirs.a) == 0);
    prepare_signal_snapshot();
    int fa = temp_file();
    REQUIRE(fa >= 0 && lseek(fa, 7, SEEK_SET) == 7);
    int ref1 = dup(1), ref2 = dup(2);
    Units u{make<FdTable>(), make<SignalState>(), make<ProcessState>()};
    REQUIRE(u.fds && u.signals && u.process);
    CHECK_OK(save_all(&u, &err), err);
    KernelSigaction before[65];
    for (int sig = 1; sig <= 64; ++sig) read_kernel_sigaction(sig, &before[sig]);
    const int n_saved = count_open_fds();
    const mode_t mask_before = umask(0);
    umask(mask_before);

    for (int round = 0; round < 5; ++round) {
        // The "test".
        int cap = temp_file();
        dup2(cap, 1);
        close(2);
        lseek(fa, 0, SEEK_END);
        fcntl(fa, F_SETFL, O_NONBLOCK | O_APPEND);
        temp_file();
        dirty_signals();
        CHECK(chdir(dirs.b) == 0);
        umask(0);
        struct itimerval it = {{0, 0}, {20, 0}};
        setitimer(ITIMER_REAL, &it, nullptr);
        make_timer(SIGUSR1, true);
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        rl.rlim_cur = 700;
        setrlimit(RLIMIT_NOFILE, &rl);
        pid_t kid = fork();
        if (kid == 0) sleep_forever();
        pthread_t th;
        CHECK(pthread_create(&th, nullptr, exit_at_once, nullptr) == 0);
        pthread_join(th, nullptr);

        g_hits_a = 0;
        g_hits_b = 0;
        g_allocs = 0;
        g_count_allocs = true;
        bool ok = restore_all(&u, &err);
        g_count_allocs = false;
        if (!ok) {
            report("FAIL restore_all: %s (errno %d)\n", err.what ? err.what : "?", err.sys_errno);
            ++g_failures;
        }
        CHECK(g_allocs == 0);

        CHECK(count_open_fds() == n_saved);
        CHECK(kcmp_files(1, ref1) == 0 && kcmp_files(2, ref2) == 0);
        CHECK(lseek(fa, 0, SEEK_CUR) == 7);
        CHECK((fcntl(fa, F_GETFL) & (O_NONBLOCK | O_APPEND)) == 0);
        check_signals_restored(*u.signals, before);
        CHECK(g_hits_a == 0 && g_hits_b == 0);
        char cwd[256];
        CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, dirs.a) == 0);
        mode_t m = umask(0);
        umask(m);
        CHECK(m == mask_before);
        CHECK(getitimer(ITIMER_REAL, &it) == 0 && it.it_value.tv_sec == 0);
        int ids[4];
        CHECK(list_posix_timers(ids, 4) == 0);
        CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0 && same_rlimit(rl, u.process->rlimit_value(RLIMIT_NOFILE)));
        errno = 0;
        CHECK(kill(kid, 0) == -1 && errno == ESRCH);
        CHECK(count_tasks() == 1);
    }
    CHECK(chdir("/") == 0);
}

// ================================================================= timings

// restore() of each unit, 1000 times, on a clean state and on a typical
// dirty one; also checks that no restore allocates.
void child_timings() {
    RestoreError err{};
    prepare_signal_snapshot();
    int fa = temp_file();
    REQUIRE(fa >= 0);
    for (int i = 0; i < 6; ++i) temp_file();  // a worker has a few files open
    Units u{make<FdTable>(), make<SignalState>(), make<ProcessState>()};
    REQUIRE(u.fds && u.signals && u.process);
    CHECK_OK(save_all(&u, &err), err);
    report("# timing setup: %zu snapshot fds, %d fds open\n", u.fds->size(), count_open_fds());
    constexpr int kIters = 1000;
    struct timespec a, b;
    auto measure = [&](const char *what, auto &&dirty, auto &&restore) {
        Timing t;
        long allocs = 0;
        for (int i = 0; i < kIters; ++i) {
            dirty();
            g_allocs = 0;
            g_count_allocs = true;
            clock_gettime(CLOCK_MONOTONIC, &a);
            bool ok = restore();
            clock_gettime(CLOCK_MONOTONIC, &b);
            g_count_allocs = false;
            allocs += g_allocs;
            if (!ok) {
                report("FAIL %s: %s (errno %d)\n", what, err.what ? err.what : "?", err.sys_errno);
                ++g_failures;
                return;
            }
            t.add(elapsed_us(a, b));
        }
        CHECK(allocs == 0);
        t.print(what);
    };
    auto nothing = [] {};
    measure("fd_table.restore, clean", nothing, [&] { return u.fds->restore(&err); });
    measure("fd_table.restore, 2 new fds + dup2 over 1 + lseek", [&] {
        temp_file();
        open("/dev/null", O_RDONLY);
        int c = temp_file("");
        dup2(c, 1);
        lseek(fa, 3, SEEK_SET);
    }, [&] { return u.fds->restore(&err); });
    measure("signal_state.restore, clean", nothing, [&] { return u.signals->restore(&err); });
    measure("signal_state.restore, 3 actions + mask + pending", [&] {
        signal(SIGTERM, handler_b);
        signal(SIGINT, SIG_IGN);
        signal(SIGUSR1, handler_b);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGQUIT);
        sigprocmask(SIG_BLOCK, &set, nullptr);
        raise(SIGQUIT);
    }, [&] { return u.signals->restore(&err); });
    measure("process_state.restore, clean", nothing, [&] { return u.process->restore(&err); });
    measure("process_state.restore, cwd + umask + rlimit + itimer", [&] {
        if (chdir("/") != 0) return;
        umask(0);
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        rl.rlim_cur = 900;
        setrlimit(RLIMIT_NOFILE, &rl);
        struct itimerval it = {{0, 0}, {20, 0}};
        setitimer(ITIMER_REAL, &it, nullptr);
    }, [&] { return u.process->restore(&err); });
    measure("process_state.restore, + one POSIX timer", [&] { make_timer(SIGUSR1, true); },
            [&] { return u.process->restore(&err); });
    measure("kill_and_reap_children, none", nothing, [&] { return kill_and_reap_children(&err); });
    measure("kill_and_reap_children, one sleeping child", [&] {
        pid_t kid = fork();
        if (kid == 0) sleep_forever();
    }, [&] { return kill_and_reap_children(&err); });
    measure("wait_single_thread, single", nothing, [&] { return wait_single_thread(100, &err); });
    measure("count_tasks", nothing, [&] { return count_tasks() == 1; });
    measure("count_open_fds", nothing, [&] { return count_open_fds() > 0; });
    measure("whole kernel-state sequence, clean", nothing, [&] { return restore_all(&u, &err); });
}

// ================================================================== cmocka

void test_fd_table_restores_dirtied_table(void **) { run_in_child(child_fd_table_restores_dirtied_table); }
void test_fd_table_pytest_capture(void **) { run_in_child(child_fd_table_pytest_capture); }
void test_fd_table_engine_fds_survive(void **) { run_in_child(child_fd_table_engine_fds_survive); }
void test_fd_table_offsets_policy(void **) { run_in_child(child_fd_table_offsets_policy); }
void test_fd_table_broken_dups_are_errors(void **) { run_in_child(child_fd_table_broken_dups_are_errors); }
void test_fd_table_capacity(void **) { run_in_child(child_fd_table_capacity); }
void test_fd_table_without_kcmp(void **) { run_in_child(child_fd_table_without_kcmp); }
void test_fd_table_keeps_posix_locks(void **) { run_in_child(child_fd_table_keeps_posix_locks); }
void test_signal_state_repends_consumed_signals(void **) { run_in_child(child_signal_state_repends_consumed_signals); }
void test_process_state_attributes(void **) { run_in_child(child_process_state_attributes); }
void test_process_state_no_new_privs_is_an_error(void **) {
    run_in_child(child_process_state_no_new_privs_is_an_error);
}
void test_signal_state_restores_everything(void **) { run_in_child(child_signal_state_restores_everything); }
void test_signal_state_drops_signals_raised_during_restore(void **) {
    run_in_child(child_signal_state_drops_signals_raised_during_restore);
}
void test_process_state_restores_everything(void **) { run_in_child(child_process_state_restores_everything); }
void test_process_state_snapshot_timers(void **) { run_in_child(child_process_state_snapshot_timers); }
void test_process_state_lowered_hard_limit_is_an_error(void **) {
    run_in_child(child_process_state_lowered_hard_limit_is_an_error);
}
void test_children_killed_and_reaped(void **) { run_in_child(child_children_killed_and_reaped); }
void test_children_keep_list_and_sigchld_ignored(void **) {
    run_in_child(child_children_keep_list_and_sigchld_ignored);
}
void test_threads_wait_single_thread(void **) { run_in_child(child_threads_wait_single_thread); }
void test_restore_kernel_state_full_sequence(void **) { run_in_child(child_full_sequence); }
void test_restore_kernel_state_timings(void **) { run_in_child(child_timings); }

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fd_table_restores_dirtied_table),
        cmocka_unit_test(test_fd_table_pytest_capture),
        cmocka_unit_test(test_fd_table_engine_fds_survive),
        cmocka_unit_test(test_fd_table_offsets_policy),
        cmocka_unit_test(test_fd_table_broken_dups_are_errors),
        cmocka_unit_test(test_fd_table_capacity),
        cmocka_unit_test(test_fd_table_without_kcmp),
        cmocka_unit_test(test_fd_table_keeps_posix_locks),
        cmocka_unit_test(test_signal_state_restores_everything),
        cmocka_unit_test(test_signal_state_drops_signals_raised_during_restore),
        cmocka_unit_test(test_signal_state_repends_consumed_signals),
        cmocka_unit_test(test_process_state_restores_everything),
        cmocka_unit_test(test_process_state_snapshot_timers),
        cmocka_unit_test(test_process_state_lowered_hard_limit_is_an_error),
        cmocka_unit_test(test_process_state_attributes),
        cmocka_unit_test(test_process_state_no_new_privs_is_an_error),
        cmocka_unit_test(test_children_killed_and_reaped),
        cmocka_unit_test(test_children_keep_list_and_sigchld_ignored),
        cmocka_unit_test(test_threads_wait_single_thread),
        cmocka_unit_test(test_restore_kernel_state_full_sequence),
        cmocka_unit_test(test_restore_kernel_state_timings),
    };
    return cmocka_run_group_tests_name("restore_kernel_state", tests, nullptr, nullptr);
}
