"""Interval timers (signal.setitimer) left armed: far in the future, so that
they never fire during the run."""

import signal

FAR = 100000.0  # seconds


def _timer(which, name):
    now = signal.getitimer(which)
    assert now == (0.0, 0.0), "%s is armed: %r" % (name, now)
    signal.setitimer(which, FAR, FAR)


def test_itimers_real_pristine_then_dirty_a():
    _timer(signal.ITIMER_REAL, "ITIMER_REAL")


def test_itimers_real_pristine_then_dirty_b():
    _timer(signal.ITIMER_REAL, "ITIMER_REAL")


def test_itimers_virtual_pristine_then_dirty_a():
    _timer(signal.ITIMER_VIRTUAL, "ITIMER_VIRTUAL")


def test_itimers_virtual_pristine_then_dirty_b():
    _timer(signal.ITIMER_VIRTUAL, "ITIMER_VIRTUAL")


def test_itimers_prof_pristine_then_dirty_a():
    _timer(signal.ITIMER_PROF, "ITIMER_PROF")


def test_itimers_prof_pristine_then_dirty_b():
    _timer(signal.ITIMER_PROF, "ITIMER_PROF")
