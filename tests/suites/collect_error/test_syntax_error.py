"""This module cannot be compiled: collecting it is an error."""


def test_never_collected():
    assert (1 + 2 == 3
