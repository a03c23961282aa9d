"""The C library's locale (locale.setlocale of LC_TIME)."""

import locale

import pytest

import catalogue_state as S

CANDIDATES = ("C.UTF-8", "C.utf8", "en_US.UTF-8", "POSIX")


def _locale():
    current = locale.setlocale(locale.LC_TIME)
    assert current == S.LC_TIME, "LC_TIME is %r, golden %r" % (current, S.LC_TIME)
    for name in CANDIDATES:
        try:
            if locale.setlocale(locale.LC_TIME, name) != S.LC_TIME:
                return
        except locale.Error:
            continue
    pytest.skip("no locale other than %r available" % S.LC_TIME)


def test_locale_lc_time_pristine_then_dirty_a():
    _locale()


def test_locale_lc_time_pristine_then_dirty_b():
    _locale()
