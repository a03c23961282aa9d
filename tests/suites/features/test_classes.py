"""Test classes (pytest-style and unittest.TestCase)."""
import unittest

import pytest


class Widget:
    def __init__(self, width, height):
        self.width, self.height = width, height

    def area(self):
        return self.width * self.height

    def resize(self, factor):
        return Widget(self.width * factor, self.height * factor)


@pytest.mark.widget
class TestWidget:
    @pytest.fixture(scope="class")
    def widget(self, request):
        assert request.scope == "class"
        return Widget(2, 3)

    def setup_method(self, method):
        self.calls = [method.__name__]

    def teardown_method(self, method):
        assert self.calls[0] == method.__name__

    def test_widget_area(self, widget):
        assert widget.area() == 6

    def test_widget_resize(self, widget):
        bigger = widget.resize(2)
        assert (bigger.width, bigger.height) == (4, 6)
        assert widget.area() == 6  # class fixture unchanged

    def test_widget_area_wrong(self, widget):
        assert widget.area() == 7

    def test_widget_setup_method_ran(self):
        assert self.calls == ["test_widget_setup_method_ran"]


class TestOuter:
    value = 10

    class TestInner:
        def test_nested_class(self):
            assert TestOuter.value == 10

    def test_outer(self):
        assert self.value == 10


class TestClassLevelSetup:
    @classmethod
    def setup_class(cls):
        cls.shared = {"ready": True}

    @classmethod
    def teardown_class(cls):
        cls.shared.clear()

    def test_setup_class_ran(self):
        assert self.shared == {"ready": True}


class CalculatorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.precision = 2

    def setUp(self):
        self.values = [1, 2, 3]

    def tearDown(self):
        self.values = None

    def test_sum(self):
        self.assertEqual(sum(self.values), 6)

    def test_round(self):
        self.assertEqual(round(2 / 3, self.precision), 0.67)

    def test_sum_wrong(self):
        self.assertEqual(sum(self.values), 7)

    def test_raises_error(self):
        raise RuntimeError("unittest test raising an unexpected error")

    def test_skip_inside(self):
        self.skipTest("skipped from inside a unittest test")

    @unittest.skip("skipped by decorator")
    def test_skip_decorated(self):
        self.fail("must not run")

    @unittest.expectedFailure
    def test_expected_failure(self):
        self.assertEqual(1 + 1, 3)

    def test_subtest_free_assert(self):
        # plain assert inside a TestCase is rewritten too
        assert self.values == [1, 2, 3]
