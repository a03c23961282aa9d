def test_before_one():
    assert True


def test_before_two():
    assert sum([1, 2]) == 3
