"""skip / skipif / xfail (strict and not) / xpass / custom markers."""
import sys

import pytest

pytestmark = pytest.mark.network  # every test in this module is "network"


@pytest.mark.skip(reason="skipped with a decorator")
def test_skip_decorator():
    assert False


def test_skip_imperative():
    pytest.skip("skipped from inside the test")


@pytest.mark.skipif(sys.version_info >= (3,), reason="always true on Python 3")
def test_skipif_true():
    assert False


@pytest.mark.skipif(sys.version_info < (3,), reason="never true on Python 3")
def test_skipif_false_runs():
    assert True


@pytest.mark.xfail(reason="known bug, fails as expected")
def test_xfail_fails():
    assert 1 == 2


@pytest.mark.xfail(reason="known bug that was fixed: XPASS, not strict")
def test_xfail_passes_nonstrict():
    assert 1 == 1


@pytest.mark.xfail(strict=True, reason="strict: passing is a failure")
def test_xfail_passes_strict():
    assert 1 == 1


@pytest.mark.xfail(strict=True, reason="strict and fails: xfailed")
def test_xfail_strict_fails():
    assert 1 == 2


@pytest.mark.xfail(raises=TypeError, reason="only TypeError is expected")
def test_xfail_wrong_exception():
    raise ValueError("not the expected exception type")


def test_xfail_imperative():
    pytest.xfail("declared xfail from inside the test")


@pytest.mark.slow
def test_marked_slow():
    assert sum(range(1000)) == 499500


@pytest.mark.slow
@pytest.mark.smoke
def test_marked_slow_and_smoke():
    assert True


class TestMarkedClass:
    pytestmark = [pytest.mark.widget]

    def test_inherits_class_marker(self, request):
        assert request.node.get_closest_marker("widget") is not None
        assert request.node.get_closest_marker("network") is not None
        # added by pytest_collection_modifyitems in conftest.py
        assert request.node.get_closest_marker("smoke") is not None
