"""test_hang_* never finish: tach must time them out and name where they were stuck."""
import time


def wait_for_ever():
    time.sleep(3600)


def spin_for_ever():
    n = 0
    while True:
        n += 1


def test_pass_before_hangs():
    assert True


def test_hang_sleep():
    wait_for_ever()


def test_pass_between_hangs():
    assert "x" * 3 == "xxx"


def test_hang_busy_loop():
    spin_for_ever()


def test_quick_sleep_is_fine():
    time.sleep(0.2)  # well under the 2 s timeout


def test_pass_after_hangs():
    assert True
