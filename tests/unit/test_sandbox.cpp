// cmocka tests of src/sandbox/sandbox.cpp: each case enters the sandbox in
// a forked child (namespaces are for the whole process) and reports back
// through its exit status.  Skipped where user namespaces are refused.
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sandbox/sandbox.hpp"

extern "C" {
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
}

namespace {

std::string g_writable;  // a directory under /tmp kept writable

// Runs `body` in a sandboxed child; returns its exit status (77: the
// sandbox could not be entered).
template <typename Body>
int in_sandbox(Body body) {
    std::fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        std::string error = tach::sandbox::enter({g_writable});
        if (!error.empty()) {
            std::fprintf(stderr, "sandbox: %s\n", error.c_str());
            _exit(77);
        }
        _exit(body());
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void expect_child(int code) {
    if (code == 77) skip();
    assert_int_equal(code, 0);
}

void test_only_loopback_and_it_is_up(void **) {
    expect_child(in_sandbox([] {
        struct if_nameindex *names = if_nameindex();
        if (!names) return 1;
        int count = 0;
        bool only_lo = true;
        for (auto *n = names; n->if_index != 0; ++n, ++count) only_lo = only_lo && std::strcmp(n->if_name, "lo") == 0;
        if_freenameindex(names);
        if (!only_lo || count != 1) return 2;
        int sock = socket(AF_INET, SOCK_DGRAM, 0);
        ifreq req{};
        std::strcpy(req.ifr_name, "lo");
        if (ioctl(sock, SIOCGIFFLAGS, &req) != 0 || !(req.ifr_flags & IFF_UP)) return 3;
        close(sock);
        return 0;
    }));
}

void test_same_ids_inside(void **) {
    const uid_t uid = getuid();
    expect_child(in_sandbox([uid] { return getuid() == uid ? 0 : 1; }));
}

void test_read_only_outside_the_writable_dirs(void **) {
    expect_child(in_sandbox([] {
        // The current directory (the build tree) is not in the writable list.
        int fd = open("tach-sandbox-probe", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            close(fd);
            unlink("tach-sandbox-probe");
            return 1;
        }
        if (errno != EROFS && errno != EACCES) return 2;
        // /dev/null still takes writes.
        fd = open("/dev/null", O_WRONLY);
        if (fd < 0 || write(fd, "x", 1) != 1) return 3;
        close(fd);
        return 0;
    }));
}

void test_writable_dir_stays_writable(void **) {
    expect_child(in_sandbox([] {
        const std::string path = g_writable + "/probe";
        int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0) return 1;
        close(fd);
        return unlink(path.c_str()) == 0 ? 0 : 2;
    }));
}

void test_host_unaffected(void **) {
    // After a child entered the sandbox, this process is still outside.
    expect_child(in_sandbox([] { return 0; }));
    const std::string path = "tach-sandbox-host-probe";
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    close(fd);
    unlink(path.c_str());
}

}  // namespace

int main() {
    char tmpl[] = "/tmp/tach-sandbox-unit-XXXXXX";
    if (!mkdtemp(tmpl)) return 1;
    g_writable = tmpl;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_only_loopback_and_it_is_up),
        cmocka_unit_test(test_same_ids_inside),
        cmocka_unit_test(test_read_only_outside_the_writable_dirs),
        cmocka_unit_test(test_writable_dir_stays_writable),
        cmocka_unit_test(test_host_unaffected),
    };
    int failed = cmocka_run_group_tests(tests, nullptr, nullptr);
    rmdir(tmpl);
    return failed;
}
