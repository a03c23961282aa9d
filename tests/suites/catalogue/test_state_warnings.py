"""warnings: filters and the default action.

pytest's warnings plugin runs every test inside warnings.catch_warnings(),
which swaps warnings.filters for a copy and puts the original list back
afterwards: a filter added with warnings.simplefilter() does not outlive the
test even in one process.  Code that mutates the interpreter's own filter
list (the one _warnings holds) or the default action is not undone: that is
what these tests leave behind."""

import warnings

import catalogue_state as S

try:
    import _warnings
except ImportError:  # pragma: no cover - CPython always has it
    _warnings = None


def _interp_filters():
    return getattr(_warnings, "filters", warnings.filters)


def _ours(filters):
    return [f for f in filters if f[2] is S.CatalogueWarning]


def _filters():
    assert not _ours(warnings.filters), "filters of another test: %r" % _ours(warnings.filters)
    assert not _ours(_interp_filters()), "filters of another test: %r" % _ours(_interp_filters())
    warnings.simplefilter("error", S.CatalogueWarning)
    _interp_filters().insert(0, ("error", None, S.CatalogueWarning, None, 0))


def test_warnings_filters_pristine_then_dirty_a():
    _filters()


def test_warnings_filters_pristine_then_dirty_b():
    _filters()


def _defaultaction():
    assert warnings.defaultaction == S.WARNINGS_DEFAULTACTION, \
        "warnings.defaultaction is %r" % warnings.defaultaction
    warnings.defaultaction = "ignore"


def test_warnings_defaultaction_pristine_then_dirty_a():
    _defaultaction()


def test_warnings_defaultaction_pristine_then_dirty_b():
    _defaultaction()
