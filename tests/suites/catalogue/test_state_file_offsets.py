"""Offsets of files the pristine state holds open: a raw fd a test reads and
seeks, and a buffered file object (Python's buffer and the kernel's offset)."""

import os

import catalogue_state as S


def _raw_fd():
    fd = S.OFFSET_FD
    assert S.identity(fd) == S.OFFSET_FD_ID
    offset = os.lseek(fd, 0, os.SEEK_CUR)
    assert offset == 0, "the golden fd's offset is %d, not 0" % offset
    assert os.read(fd, 100) == S.OFFSET_CONTENT[:100]
    os.lseek(fd, 5000, os.SEEK_CUR)


def test_file_offsets_raw_fd_pristine_then_dirty_a():
    _raw_fd()


def test_file_offsets_raw_fd_pristine_then_dirty_b():
    _raw_fd()


def _buffered():
    f = S.OFFSET_FILE
    assert S.identity(f.fileno()) == S.OFFSET_FILE_ID
    kernel = os.lseek(f.fileno(), 0, os.SEEK_CUR)
    assert (f.tell(), kernel) == (0, 0), "file position %d, kernel offset %d" % (f.tell(), kernel)
    # The first read fills Python's buffer: the kernel offset moves further
    # than the position Python reports.
    assert f.read(10) == S.OFFSET_CONTENT[:10]
    assert f.tell() == 10


def test_file_offsets_buffered_pristine_then_dirty_a():
    _buffered()


def test_file_offsets_buffered_pristine_then_dirty_b():
    _buffered()
