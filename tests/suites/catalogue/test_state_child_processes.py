"""Child processes: one left running, one left as a zombie (never waited for)."""

import subprocess
import time

import catalogue_state as S

KEPT = []  # the Popen objects (so that nothing reaps the children)


def _no_children():
    kids = S.children()
    assert not kids, "children left by another test: %r" % kids


def _spawn(argv):
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    KEPT.append(proc)
    S.SPAWNED_CHILDREN.append(proc.pid)
    return proc


def _running():
    _no_children()
    proc = _spawn(["sleep", "30"])
    assert proc.pid in S.children()


def test_child_processes_running_pristine_then_dirty_a():
    _running()


def test_child_processes_running_pristine_then_dirty_b():
    _running()


def _state(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def _zombie():
    _no_children()
    proc = _spawn(["true"])
    deadline = time.monotonic() + 10
    while _state(proc.pid) != "Z":
        assert time.monotonic() < deadline, "`true` did not exit"
        time.sleep(0.002)
    assert proc.pid in S.children()


def test_child_processes_zombie_pristine_then_dirty_a():
    _zombie()


def test_child_processes_zombie_pristine_then_dirty_b():
    _zombie()
