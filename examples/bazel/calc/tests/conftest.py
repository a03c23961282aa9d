import pytest


@pytest.fixture
def pair():
    return (6, 3)
