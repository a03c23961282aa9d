import pytest


@pytest.mark.parametrize("n", [1, 2, 3])
def test_two_passes(n):
    assert n > 0
