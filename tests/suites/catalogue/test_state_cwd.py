"""The current working directory (os.chdir), also into a directory that is then removed."""

import os
import tempfile

import catalogue_state as S


def _chdir_root():
    assert os.getcwd() == S.CWD, "cwd is %s, not %s" % (os.getcwd(), S.CWD)
    os.chdir("/")


def test_cwd_chdir_pristine_then_dirty_a():
    _chdir_root()


def test_cwd_chdir_pristine_then_dirty_b():
    _chdir_root()


def _chdir_removed():
    try:
        cwd = os.getcwd()
    except FileNotFoundError:
        cwd = "(a removed directory)"
    assert cwd == S.CWD, "cwd is %s, not %s" % (cwd, S.CWD)
    gone = tempfile.mkdtemp(prefix="tach-catalogue-cwd-", dir=S.WORK_DIR)
    os.chdir(gone)
    os.rmdir(gone)


def test_cwd_removed_dir_pristine_then_dirty_a():
    _chdir_removed()


def test_cwd_removed_dir_pristine_then_dirty_b():
    _chdir_removed()
