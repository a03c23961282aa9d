"""sys.path: entries added at the front and at the end; the list reordered."""

import sys

import catalogue_state as S


def _added():
    assert S.SYS_PATH_MARKER not in sys.path, "sys.path still holds %s" % S.SYS_PATH_MARKER
    assert S.SYS_PATH_MARKER + "-end" not in sys.path
    sys.path.insert(0, S.SYS_PATH_MARKER)
    sys.path.append(S.SYS_PATH_MARKER + "-end")


def test_sys_path_added_pristine_then_dirty_a():
    _added()


def test_sys_path_added_pristine_then_dirty_b():
    _added()


def _reordered():
    golden = S.late("sys_path")
    assert sys.path == golden, "sys.path changed:\n now    %r\n golden %r" % (sys.path, golden)
    # Every entry stays (later imports still work), the order changes.
    sys.path.insert(0, sys.path.pop())


def test_sys_path_reordered_pristine_then_dirty_a():
    _reordered()


def test_sys_path_reordered_pristine_then_dirty_b():
    _reordered()
