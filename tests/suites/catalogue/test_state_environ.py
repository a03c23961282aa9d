"""The environment, as os.environ sees it and as the C library's getenv() does."""

import os

import catalogue_state as S


def _both(key):
    return os.environ.get(key), S.c_getenv(key)


def _new_key():
    assert _both(S.ENV_NEW_KEY) == (None, None), "%s is set: %r" % (S.ENV_NEW_KEY, _both(S.ENV_NEW_KEY))
    os.environ[S.ENV_NEW_KEY] = "dirty"
    assert S.c_getenv(S.ENV_NEW_KEY) == "dirty"


def test_environ_new_key_pristine_then_dirty_a():
    _new_key()


def test_environ_new_key_pristine_then_dirty_b():
    _new_key()


def _changed_key():
    # Overwriting an existing key lets glibc reuse the environ array in place.
    key = S.ENV_CHANGED_KEY
    assert _both(key) == ("golden-changed", "golden-changed"), "%s is %r" % (key, _both(key))
    os.environ[key] = "dirty"
    assert S.c_getenv(key) == "dirty"


def test_environ_changed_key_pristine_then_dirty_a():
    _changed_key()


def test_environ_changed_key_pristine_then_dirty_b():
    _changed_key()


def _deleted_key():
    key = S.ENV_DELETED_KEY
    assert _both(key) == ("golden-deleted", "golden-deleted"), "%s is %r" % (key, _both(key))
    del os.environ[key]
    assert S.c_getenv(key) is None


def test_environ_deleted_key_pristine_then_dirty_a():
    _deleted_key()


def test_environ_deleted_key_pristine_then_dirty_b():
    _deleted_key()


def _c_level_only():
    # putenv() behind os.environ's back: only the C library knows.
    key = S.ENV_NEW_KEY + "_C"
    assert S.c_getenv(key) is None, "C getenv(%s) is %r" % (key, S.c_getenv(key))
    os.putenv(key, "dirty")
    assert S.c_getenv(key) == "dirty"


def test_environ_c_level_only_pristine_then_dirty_a():
    _c_level_only()


def test_environ_c_level_only_pristine_then_dirty_b():
    _c_level_only()
