"""One test leaves a thread running; the others check that none is.

Under tach's snapshot isolation the worker cannot restore a process that
has gained a thread, so it must be replaced after test_leaves_a_thread_running
and every test passes.  Under plain pytest, test_after_* fail.
"""
import threading
import time


def only_main_thread():
    return threading.active_count() == 1 and threading.current_thread() is threading.main_thread()


def test_before_one():
    assert only_main_thread(), threading.enumerate()


def test_before_two():
    assert sum(range(10)) == 45
    assert only_main_thread(), threading.enumerate()


def test_leaves_a_thread_running():
    assert only_main_thread(), threading.enumerate()
    threading.Thread(target=time.sleep, args=(30,), name="left-behind", daemon=True).start()
    assert threading.active_count() == 2


def test_after_one():
    assert only_main_thread(), threading.enumerate()


def test_after_two():
    assert only_main_thread(), threading.enumerate()
