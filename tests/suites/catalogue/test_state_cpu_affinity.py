"""The CPU affinity mask (os.sched_setaffinity), narrowed to one CPU."""

import os

import pytest

import catalogue_state as S


def _affinity():
    now = os.sched_getaffinity(0)
    assert now == S.AFFINITY, "CPU affinity %r, golden %r" % (sorted(now), sorted(S.AFFINITY))
    if len(now) < 2:
        pytest.skip("a single CPU: nothing to narrow")
    os.sched_setaffinity(0, {min(now)})


def test_cpu_affinity_narrowed_pristine_then_dirty_a():
    _affinity()


def test_cpu_affinity_narrowed_pristine_then_dirty_b():
    _affinity()
