"""Fixtures: scopes, yield teardown, errors in setup and teardown, request."""
import os

import pytest


@pytest.fixture(scope="module")
def module_counter():
    return {"created": 1}


@pytest.fixture
def uses_module_counter(module_counter):
    return module_counter


@pytest.fixture
def broken_setup():
    raise RuntimeError("fixture setup exploded")


@pytest.fixture
def broken_teardown():
    yield "value"
    raise RuntimeError("fixture teardown exploded")


@pytest.fixture(scope="module")
def broken_module_setup():
    raise LookupError("module-scoped fixture setup exploded")


def test_function_fixture(numbers):
    numbers.append(4)
    assert numbers == [3, 1, 2, 4]


def test_function_fixture_is_fresh(numbers):
    assert numbers == [3, 1, 2]


def test_module_fixture_shared_within_test(module_counter, uses_module_counter):
    assert module_counter is uses_module_counter
    assert module_counter == {"created": 1}


def test_module_fixture_from_conftest(module_resource):
    assert module_resource == {"module": "test_fixtures", "scope": "module"}


def test_session_fixture(session_resource):
    assert session_resource["scope"] == "session"
    assert (session_resource["dir"] / "data.txt").read_text().split() == ["alpha", "beta", "gamma"]


def test_yield_fixture(tracked):
    assert tracked == ["tracked:setup"]


def test_error_in_fixture_setup(broken_setup):
    assert False, "never reached"


def test_error_in_fixture_teardown(broken_teardown):
    assert broken_teardown == "value"


def test_fail_and_error_in_teardown(broken_teardown):
    assert broken_teardown == "another value"


def test_error_in_module_fixture_one(broken_module_setup):
    pass


def test_error_in_module_fixture_two(broken_module_setup):
    pass


@pytest.mark.usefixtures("tracked")
def test_usefixtures(events):
    assert events == ["tracked:setup"]


def test_autouse_from_root_conftest():
    assert os.environ["TACH_FEATURES_AUTOUSE"] == "root"


def test_greeting_from_root(greeting):
    assert greeting == "hello from the root conftest"


def test_parametrized_fixture(file_format):
    assert file_format in ("json", "csv")


def test_request_object(request):
    assert request.node.name == "test_request_object"
    assert request.function.__name__ == "test_request_object"
    assert request.module.__name__ == "test_fixtures"
    assert request.scope == "function"
    assert request.getfixturevalue("numbers") == [3, 1, 2]


def test_pytestconfig(pytestconfig):
    assert (pytestconfig.rootpath / "pytest.ini").is_file()
    assert pytestconfig.inipath.name == "pytest.ini"
    marker_lines = pytestconfig.getini("markers")
    assert any(line.startswith("widget:") for line in marker_lines)
    assert pytestconfig.getoption("--strict-markers") in (False, True)


class TestClassScope:
    @pytest.fixture(scope="class")
    def class_state(self):
        return {"scope": "class", "objects": []}

    @pytest.fixture
    def adds_to_class_state(self, class_state):
        class_state["objects"].append("x")
        return class_state

    def test_class_fixture_shared_within_test(self, class_state, adds_to_class_state):
        assert class_state is adds_to_class_state
        assert class_state["objects"] == ["x"]
