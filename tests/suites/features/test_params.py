"""Parametrization: ids, stacking, pytest.param with marks, odd ids."""
import pytest


@pytest.mark.parametrize("a, b, expected", [(1, 2, 3), (2, 3, 5), (3, 3, 7)])
def test_add(a, b, expected):
    assert a + b == expected  # the third case fails


@pytest.mark.parametrize(
    "word, length",
    [("alpha", 5), ("beta", 4), ("gamma", 5)],
    ids=["alpha-word", "beta-word", "gamma-word"],
)
def test_word_length(word, length):
    assert len(word) == length


@pytest.mark.parametrize("x", [1, 2])
@pytest.mark.parametrize("y", ["a", "b"])
def test_stacked(x, y):
    assert str(x) + y in {"1a", "1b", "2a", "2b"}


@pytest.mark.parametrize(
    "value, ok",
    [
        pytest.param(1, True, id="one"),
        pytest.param(2, False, id="two-xfail", marks=pytest.mark.xfail(reason="2 is not odd")),
        pytest.param(3, True, id="three-slow", marks=pytest.mark.slow),
        pytest.param(4, True, id="four-skipped", marks=pytest.mark.skip(reason="not today")),
    ],
)
def test_is_odd(value, ok):
    assert (value % 2 == 1) == ok


@pytest.mark.parametrize("text", ["with space", "dots.and-dashes", "café"])
def test_odd_ids(text):
    assert isinstance(text, str) and text


class TestParamInClass:
    @pytest.mark.parametrize("shape, sides", [("triangle", 3), ("square", 4), ("pentagon", 6)])
    def test_sides(self, shape, sides):
        assert {"triangle": 3, "square": 4, "pentagon": 5}[shape] == sides
