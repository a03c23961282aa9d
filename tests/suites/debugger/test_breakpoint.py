def test_stops_at_breakpoint():
    x = 42
    breakpoint()
    assert x == 42


def test_fails_for_post_mortem():
    y = 7
    assert y == 8, "y is off by one"


def test_after():
    assert True
