"""Every test named test_crash_* takes its process down."""
import ctypes
import os
import signal
import sys

import pytest

pytestmark = pytest.mark.crash


def test_pass_before_crashes():
    assert True


def test_crash_segfault():
    ctypes.string_at(0)


def test_crash_abort():
    os.abort()


def test_crash_os_exit_3():
    os._exit(3)


def test_crash_os_exit_0():
    # Exit status 0, but the test never finished: still a crash.
    os._exit(0)


def test_crash_sigkill_self():
    os.kill(os.getpid(), signal.SIGKILL)


def test_crash_in_fixture_setup(segfault_in_setup):
    pass


def test_crash_in_fixture_teardown(exit_in_teardown):
    pass


def test_pass_between_crashes():
    assert "still" + " running" == "still running"


def test_systemexit_is_a_failure():
    # pytest catches SystemExit raised by a test: an ordinary failure.
    sys.exit(3)


def test_pass_after_crashes():
    assert True
