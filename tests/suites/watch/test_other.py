from mathlib import add


def test_other_add():
    assert add(10, 0) == 10
