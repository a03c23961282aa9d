from calc.ops import add


def test_add(pair):
    assert add(*pair) == 9


def test_add_negative():
    assert add(-1, -2) == -3


def test_add_strings():
    assert add("a", "b") == "ab"
