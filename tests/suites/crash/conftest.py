import ctypes
import os

import pytest


@pytest.fixture
def segfault_in_setup():
    ctypes.string_at(0)  # SIGSEGV while setting up the fixture
    yield


@pytest.fixture
def exit_in_teardown():
    yield
    os._exit(0)
