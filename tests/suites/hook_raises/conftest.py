"""A conftest whose pytest_addoption hook raises an exception with no
message: pytest itself dies with a traceback before collecting.  tach must
say what was raised and where, not print an empty reason."""


def pytest_addoption(parser):
    raise RuntimeError()
