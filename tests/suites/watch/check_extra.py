"""A test module by this suite's python_files (check_*.py), not pytest's default."""


def test_extra():
    assert "extra".upper() == "EXTRA"
