"""File descriptors: one left open, one of the pristine state dup2()ed over,
one of the pristine state closed."""

import os

import catalogue_state as S

LEAKED = []  # keeps the leaked file objects alive


def _leaked_fds():
    return sorted(fd for fd, target in S.open_fd_targets().items() if S.LEAK_MARKER in target)


def _leaked_open():
    assert not _leaked_fds(), "fds left open by another test: %r" % _leaked_fds()
    LEAKED.append(open(S.LEAK_PATH, "rb"))  # a Python file object
    os.open(S.LEAK_PATH, os.O_RDONLY)  # and a bare fd nobody will close
    assert len(_leaked_fds()) == 2


def test_fds_left_open_pristine_then_dirty_a():
    _leaked_open()


def test_fds_left_open_pristine_then_dirty_b():
    _leaked_open()


def _dup2_over():
    fd = S.DUP_TARGET_FD
    assert S.identity(fd) == S.DUP_TARGET_ID, \
        "fd %d is %s, not the golden %s" % (fd, os.readlink("/proc/self/fd/%d" % fd), S.DUP_TARGET_PATH)
    assert os.lseek(fd, 0, os.SEEK_CUR) == 0
    other = os.open(S.REPLACEMENT_PATH, os.O_RDONLY)
    os.dup2(other, fd)
    os.close(other)


def test_fds_dup2_over_pristine_then_dirty_a():
    _dup2_over()


def test_fds_dup2_over_pristine_then_dirty_b():
    _dup2_over()


def _closed():
    fd = S.CLOSE_TARGET_FD
    try:
        ident = S.identity(fd)
    except OSError as exc:
        raise AssertionError("golden fd %d is closed (%s)" % (fd, S.error_name(exc)))
    assert ident == S.CLOSE_TARGET_ID, "fd %d now refers to %s" % (fd, os.readlink("/proc/self/fd/%d" % fd))
    os.close(fd)


def test_fds_closed_pristine_then_dirty_a():
    _closed()


def test_fds_closed_pristine_then_dirty_b():
    _closed()
