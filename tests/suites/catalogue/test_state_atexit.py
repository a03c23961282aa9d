"""atexit registrations (counted: atexit cannot list them)."""

import atexit

import catalogue_state as S


def _at_exit():
    pass


def _register():
    count = atexit._ncallbacks()
    assert count == S.late("atexit"), "%d atexit callbacks, %d before the tests" % (count, S.late("atexit"))
    atexit.register(_at_exit)


def test_atexit_register_pristine_then_dirty_a():
    _register()


def test_atexit_register_pristine_then_dirty_b():
    _register()
