// Unit tests of src/restore/fd_list: the allocation-free listing of this
// process's descriptors that fd_table (restore path) and the worker's lanes
// share.  Each case compares the listing with what fcntl(F_GETFD) says is
// open, so a fd listed twice, left out, or the listing's own handle would
// show.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "restore/fd_list.hpp"

extern "C" {
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
}

using tach::restore::for_each_listed_fd;
using tach::restore::open_fd_dir;

namespace {

// Every fd below `limit` that fcntl finds open, except `dir`.
std::vector<int> probed_fds(int limit, int dir) {
    std::vector<int> fds;
    for (int fd = 0; fd < limit; ++fd)
        if (fd != dir && fcntl(fd, F_GETFD) >= 0) fds.push_back(fd);
    return fds;
}

std::vector<int> listed_fds(int dir) {
    std::vector<int> fds;
    assert_true(for_each_listed_fd(dir, [&](int fd) {
        fds.push_back(fd);
        return true;
    }));
    return fds;
}

bool contains(const std::vector<int> &fds, int fd) { return std::find(fds.begin(), fds.end(), fd) != fds.end(); }

// Opened fds are listed, each once, closed ones are not, and the handle
// doing the listing never is.
void test_lists_exactly_the_open_fds(void **) {
    int dir = open_fd_dir();
    assert_true(dir >= 0);
    int pipe_fds[2];
    assert_int_equal(pipe2(pipe_fds, O_CLOEXEC), 0);
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    assert_true(null_fd >= 0);
    int high = fcntl(null_fd, F_DUPFD_CLOEXEC, 700);
    assert_true(high >= 700);
    int gone = dup(null_fd);
    assert_true(gone >= 0);
    close(gone);

    std::vector<int> listed = listed_fds(dir);
    assert_false(contains(listed, dir));
    assert_false(contains(listed, gone));
    for (int fd : {pipe_fds[0], pipe_fds[1], null_fd, high}) assert_true(contains(listed, fd));
    std::vector<int> sorted = listed;
    std::sort(sorted.begin(), sorted.end());
    assert_true(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());  // each once
    assert_true(sorted == probed_fds(high + 1, dir));

    // The listing rewinds: a second pass over the same handle sees the same.
    std::vector<int> again = listed_fds(dir);
    std::sort(again.begin(), again.end());
    assert_true(again == sorted);

    for (int fd : {pipe_fds[0], pipe_fds[1], null_fd, high, dir}) close(fd);
}

// More fds than one getdents64 buffer (4 KiB, about 170 entries) holds.
void test_lists_across_several_reads(void **) {
    struct rlimit lim;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &lim), 0);
    const int want = 600;
    if (lim.rlim_cur < static_cast<rlim_t>(want + 64)) skip();
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    assert_true(null_fd >= 0);
    std::vector<int> opened{null_fd};
    while (static_cast<int>(opened.size()) < want) {
        int fd = fcntl(null_fd, F_DUPFD_CLOEXEC, 0);
        assert_true(fd >= 0);
        opened.push_back(fd);
    }
    int dir = open_fd_dir();
    assert_true(dir >= 0);
    std::vector<int> listed = listed_fds(dir);
    std::sort(listed.begin(), listed.end());
    for (int fd : opened) assert_true(std::binary_search(listed.begin(), listed.end(), fd));
    assert_true(listed == probed_fds(*std::max_element(listed.begin(), listed.end()) + 1, dir));
    close(dir);
    for (int fd : opened) close(fd);
}

// A visitor that returns false stops the listing, which then reports false;
// closing listed fds from the visitor does not disturb it.
void test_stop_and_close_while_listing(void **) {
    int dir = open_fd_dir();
    assert_true(dir >= 0);
    int calls = 0;
    assert_false(for_each_listed_fd(dir, [&](int) { return ++calls < 2; }));
    assert_int_equal(calls, 2);

    std::vector<int> mine;
    for (int i = 0; i < 5; ++i) mine.push_back(open("/dev/null", O_RDONLY | O_CLOEXEC));
    std::vector<int> seen;
    assert_true(for_each_listed_fd(dir, [&](int fd) {
        seen.push_back(fd);
        if (contains(mine, fd)) close(fd);
        return true;
    }));
    for (int fd : mine) {
        assert_true(contains(seen, fd));
        assert_true(fcntl(fd, F_GETFD) < 0);  // closed by the visitor
    }
    close(dir);
}

// A handle that is no directory: false with errno set, no visit.
void test_bad_handle_is_an_error(void **) {
    int calls = 0;
    errno = 0;
    assert_false(for_each_listed_fd(-1, [&](int) { return ++calls > 0; }));
    assert_int_equal(errno, EBADF);
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    assert_true(null_fd >= 0);
    errno = 0;
    assert_false(for_each_listed_fd(null_fd, [&](int) { return ++calls > 0; }));
    assert_int_not_equal(errno, 0);
    assert_int_equal(calls, 0);
    close(null_fd);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lists_exactly_the_open_fds),
        cmocka_unit_test(test_lists_across_several_reads),
        cmocka_unit_test(test_stop_and_close_while_listing),
        cmocka_unit_test(test_bad_handle_is_an_error),
    };
    return cmocka_run_group_tests_name("fd_list", tests, nullptr, nullptr);
}
