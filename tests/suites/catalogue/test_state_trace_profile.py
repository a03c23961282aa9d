"""Trace and profile functions left installed (sys.settrace, sys.setprofile).
Only the catalogue's own functions are looked for, so a coverage tool's tracer
does not count as dirt."""

import sys


def tach_catalogue_tracer(frame, event, arg):
    return None  # no per-line tracing: cheap for whatever runs afterwards


def tach_catalogue_profiler(frame, event, arg):
    pass


def _name(func):
    return getattr(func, "__name__", None)


def _trace():
    assert _name(sys.gettrace()) != "tach_catalogue_tracer", "another test's trace function is installed"
    sys.settrace(tach_catalogue_tracer)


def test_trace_profile_settrace_pristine_then_dirty_a():
    _trace()


def test_trace_profile_settrace_pristine_then_dirty_b():
    _trace()


def _profile():
    assert _name(sys.getprofile()) != "tach_catalogue_profiler", "another test's profile function is installed"
    sys.setprofile(tach_catalogue_profiler)


def test_trace_profile_setprofile_pristine_then_dirty_a():
    _profile()


def test_trace_profile_setprofile_pristine_then_dirty_b():
    _profile()
