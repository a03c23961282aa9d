"""os.register_at_fork callbacks: a pristine test forks (the child exits at
once) and sees no catalogue callback run; then it registers one."""

import os

import catalogue_state as S


def _before_fork():
    S.AT_FORK_CALLS[0] += 1


def _at_fork():
    assert not S.forks_run_callbacks(), "a before-fork callback of another test ran"
    os.register_at_fork(before=_before_fork)


def test_at_fork_register_pristine_then_dirty_a():
    _at_fork()


def test_at_fork_register_pristine_then_dirty_b():
    _at_fork()
