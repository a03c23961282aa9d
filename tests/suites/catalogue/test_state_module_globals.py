"""Module globals: this module's, a helper module's, a class's, the stdlib's, builtins."""

import builtins
import calendar

import catalogue_state as S

COUNTER = 0


class Registry:
    entries = {}


def _counter():
    global COUNTER
    assert COUNTER == 0, "a module global kept another test's value: COUNTER=%r" % COUNTER
    COUNTER += 1


def test_module_globals_counter_pristine_then_dirty_a():
    _counter()


def test_module_globals_counter_pristine_then_dirty_b():
    _counter()


def _helper_list():
    assert S.PRELOADED.__dict__.get("SEEN") is None, "catalogue_preloaded.SEEN was set by another test"
    S.PRELOADED.SEEN = ["dirty"]


def test_module_globals_other_module_pristine_then_dirty_a():
    _helper_list()


def test_module_globals_other_module_pristine_then_dirty_b():
    _helper_list()


def _class_attribute():
    assert Registry.entries == {}, "class attribute mutated: %r" % Registry.entries
    Registry.entries["dirty"] = True


def test_module_globals_class_attribute_pristine_then_dirty_a():
    _class_attribute()


def test_module_globals_class_attribute_pristine_then_dirty_b():
    _class_attribute()


def _stdlib_state():
    assert calendar.firstweekday() == calendar.MONDAY, \
        "calendar.firstweekday() is %r" % calendar.firstweekday()
    calendar.setfirstweekday(calendar.SUNDAY)


def test_module_globals_stdlib_pristine_then_dirty_a():
    _stdlib_state()


def test_module_globals_stdlib_pristine_then_dirty_b():
    _stdlib_state()


def _builtins():
    assert not hasattr(builtins, "tach_catalogue_marker"), "builtins gained an attribute"
    builtins.tach_catalogue_marker = "dirty"


def test_module_globals_builtins_pristine_then_dirty_a():
    _builtins()


def test_module_globals_builtins_pristine_then_dirty_b():
    _builtins()
