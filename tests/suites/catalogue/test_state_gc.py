"""The garbage collector's settings: disabled, thresholds, debug flags, callbacks."""

import gc

import catalogue_state as S


def _disabled():
    assert gc.isenabled() == S.GC_ENABLED, "gc.isenabled() is %r" % gc.isenabled()
    gc.disable()


def test_gc_disabled_pristine_then_dirty_a():
    _disabled()


def test_gc_disabled_pristine_then_dirty_b():
    _disabled()


def _threshold():
    assert gc.get_threshold() == S.GC_THRESHOLD, "gc thresholds %r, golden %r" % (gc.get_threshold(), S.GC_THRESHOLD)
    gc.set_threshold(100000, 50, 50)


def test_gc_threshold_pristine_then_dirty_a():
    _threshold()


def test_gc_threshold_pristine_then_dirty_b():
    _threshold()


def _debug():
    assert gc.get_debug() == S.GC_DEBUG, "gc debug flags %r" % gc.get_debug()
    gc.set_debug(gc.DEBUG_SAVEALL)


def test_gc_debug_pristine_then_dirty_a():
    _debug()


def test_gc_debug_pristine_then_dirty_b():
    _debug()


def _on_gc(phase, info):
    pass


def _callbacks():
    assert len(gc.callbacks) == S.GC_CALLBACKS, "gc.callbacks: %r" % gc.callbacks
    gc.callbacks.append(_on_gc)


def test_gc_callbacks_pristine_then_dirty_a():
    _callbacks()


def test_gc_callbacks_pristine_then_dirty_b():
    _callbacks()
