def test_one_passes():
    assert 1 + 1 == 2


def test_one_fails():
    assert {"a": 1} == {"a": 2}
