"""Threads left running.  Restoring memory in place under a running thread is
impossible: under tach's snapshot mode the test's worker is replaced (the
test still passes), and the next test must see a single thread again."""

import threading
import time

import catalogue_state as S


def _spin():
    while True:
        time.sleep(0.05)


def _single():
    names = sorted(t.name for t in threading.enumerate())
    assert threading.active_count() == 1, "threads left running: %r" % names
    assert threading.current_thread() is S.MAIN_THREAD
    assert len(S.tasks()) == 1, "tasks of this process: %r" % S.tasks()


def _daemon():
    _single()
    t = threading.Thread(target=_spin, name="tach-catalogue-left-running", daemon=True)
    t.start()
    assert threading.active_count() == 2


def test_threads_daemon_left_running_pristine_then_dirty_a():
    _daemon()


def test_threads_daemon_left_running_pristine_then_dirty_b():
    _daemon()


def _timer_thread():
    _single()
    t = threading.Timer(10000.0, lambda: None)
    t.daemon = True
    t.name = "tach-catalogue-timer"
    t.start()


def test_threads_timer_pristine_then_dirty_a():
    _timer_thread()


def test_threads_timer_pristine_then_dirty_b():
    _timer_thread()
