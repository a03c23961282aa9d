from calc.ops import add


def test_passes():
    assert add(1, 1) == 2


def test_fails():
    assert add(2, 2) == 5
