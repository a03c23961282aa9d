"""The random module's global generator: seeded at conftest import, so the
first number a pristine test draws is known; a test draws, or reseeds."""

import random

import catalogue_state as S


def _pristine():
    unchanged = random.getstate() == S.RANDOM_STATE
    assert unchanged, "the global generator is not in the state the conftest seeded"
    first = random.random()
    assert first == S.RANDOM_FIRST, "first random() is %r, expected %r" % (first, S.RANDOM_FIRST)


def _draw():
    _pristine()
    [random.random() for _ in range(10)]


def test_random_draw_pristine_then_dirty_a():
    _draw()


def test_random_draw_pristine_then_dirty_b():
    _draw()


def _reseed():
    _pristine()
    random.seed(7)


def test_random_reseed_pristine_then_dirty_a():
    _reseed()


def test_random_reseed_pristine_then_dirty_b():
    _reseed()
