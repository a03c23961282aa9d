"""The file-mode creation mask (os.umask)."""

import os

import catalogue_state as S


def _umask():
    current = os.umask(0o077)  # reading the umask means setting it
    assert current == S.UMASK, "umask is %04o, not %04o" % (current, S.UMASK)


def test_umask_pristine_then_dirty_a():
    _umask()


def test_umask_pristine_then_dirty_b():
    _umask()
