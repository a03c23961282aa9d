"""The time zone: TZ set and time.tzset() called (the C library's tz state)."""

import os
import time

import catalogue_state as S


def _tz():
    now = (time.timezone, time.altzone, time.daylight, tuple(time.tzname), time.localtime(0).tm_gmtoff)
    assert (os.environ.get("TZ"), now) == (S.TZ, S.TIMEZONE), \
        "TZ=%r %r, golden TZ=%r %r" % (os.environ.get("TZ"), now, S.TZ, S.TIMEZONE)
    os.environ["TZ"] = "CAT-05:30CDT"  # a POSIX TZ string: no tzdata needed
    time.tzset()
    assert time.localtime(0).tm_gmtoff != S.TIMEZONE[4]


def test_timezone_tzset_pristine_then_dirty_a():
    _tz()


def test_timezone_tzset_pristine_then_dirty_b():
    _tz()
