"""Resource limits: soft limits changed (resource.setrlimit).  Hard limits are
left alone: an unprivileged process could not raise them back."""

import resource

import pytest

import catalogue_state as S


def _other_soft(soft, hard):
    """A soft limit other than SOFT that an unprivileged process may set (and set back)."""
    inf = resource.RLIM_INFINITY
    if soft == inf:
        return 1 << 30
    if soft > 64:
        return soft // 2
    if hard == inf or hard > soft:
        return soft + 1 if hard == inf else min(hard, soft + 4096)
    return None


def _limit(name):
    which = getattr(resource, name)
    now = resource.getrlimit(which)
    assert now == S.RLIMITS[name], "%s is %r, golden %r" % (name, now, S.RLIMITS[name])
    soft, hard = now
    new = _other_soft(soft, hard)
    if new is None:
        pytest.skip("%s soft and hard are both %r: nothing to change" % (name, soft))
    resource.setrlimit(which, (new, hard))


def test_rlimits_nofile_pristine_then_dirty_a():
    _limit("RLIMIT_NOFILE")


def test_rlimits_nofile_pristine_then_dirty_b():
    _limit("RLIMIT_NOFILE")


def test_rlimits_core_pristine_then_dirty_a():
    _limit("RLIMIT_CORE")


def test_rlimits_core_pristine_then_dirty_b():
    _limit("RLIMIT_CORE")


def test_rlimits_fsize_pristine_then_dirty_a():
    _limit("RLIMIT_FSIZE")


def test_rlimits_fsize_pristine_then_dirty_b():
    _limit("RLIMIT_FSIZE")
