"""sys.modules: a suite module imported lazily, a stdlib C extension dlopen()ed
by its import (and its shared object in the address space), a module removed."""

import importlib
import os
import sys

import pytest

import catalogue_state as S


def _lazy_helper():
    assert S.LAZY_HELPER not in sys.modules, "%s is already imported" % S.LAZY_HELPER
    helper = importlib.import_module(S.LAZY_HELPER)
    # A fresh import starts with fresh module state.
    assert helper.record("dirty") == 1, "the helper module kept state: %r" % helper.CALLS


def test_sys_modules_lazy_helper_pristine_then_dirty_a():
    _lazy_helper()


def test_sys_modules_lazy_helper_pristine_then_dirty_b():
    _lazy_helper()


def _c_extension():
    if S.CEXT_NAME is None:
        pytest.skip("no stdlib C extension left unimported (tried %s)" % ", ".join(S.CEXT_CANDIDATES))
    assert S.CEXT_NAME not in sys.modules, "%s is already imported" % S.CEXT_NAME
    mapped = [line for line in S.maps_lines() if line.endswith(S.CEXT_PATH)]
    assert not mapped, "%s is still mapped:\n%s" % (S.CEXT_PATH, "\n".join(mapped))
    module = importlib.import_module(S.CEXT_NAME)
    assert os.path.realpath(module.__file__) == S.CEXT_PATH
    assert dir(module)
    assert any(line.endswith(S.CEXT_PATH) for line in S.maps_lines())


def test_sys_modules_c_extension_pristine_then_dirty_a():
    _c_extension()


def test_sys_modules_c_extension_pristine_then_dirty_b():
    _c_extension()


def _removed():
    assert sys.modules.get("catalogue_preloaded") is S.PRELOADED, \
        "catalogue_preloaded was removed from (or replaced in) sys.modules"
    del sys.modules["catalogue_preloaded"]


def test_sys_modules_removed_pristine_then_dirty_a():
    _removed()


def test_sys_modules_removed_pristine_then_dirty_b():
    _removed()
