"""The recursion limit (sys.setrecursionlimit)."""

import sys

import catalogue_state as S


def _limit():
    assert sys.getrecursionlimit() == S.RECURSION_LIMIT, \
        "recursion limit %d, golden %d" % (sys.getrecursionlimit(), S.RECURSION_LIMIT)
    sys.setrecursionlimit(S.RECURSION_LIMIT + 1234)


def test_recursion_limit_pristine_then_dirty_a():
    _limit()


def test_recursion_limit_pristine_then_dirty_b():
    _limit()
