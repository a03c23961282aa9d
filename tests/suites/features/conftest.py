"""Root conftest of the `features` suite.

Every test in this suite must have the same outcome whether it runs alone in
a fresh process, in a fork of a warmed-up interpreter, or after all the other
tests in one interpreter: no test depends on what another test did.
"""
import os

import pytest

# Set at import: must be visible to every test (the golden state includes it).
FEATURES_CONFTEST_LOADED = True


def pytest_configure(config):
    config.features_configured = True


@pytest.fixture(scope="session")
def session_resource(tmp_path_factory):
    """A session-scoped resource: a small data directory."""
    base = tmp_path_factory.mktemp("session_data")
    (base / "data.txt").write_text("alpha\nbeta\ngamma\n")
    yield {"dir": base, "scope": "session"}
    # Teardown: nothing to undo, but it must run without error.
    assert base.exists()


@pytest.fixture(scope="module")
def module_resource(request):
    return {"module": request.module.__name__, "scope": "module"}


@pytest.fixture
def greeting():
    """Overridden in subpkg/conftest.py."""
    return "hello from the root conftest"


@pytest.fixture
def numbers():
    return [3, 1, 2]


@pytest.fixture
def events():
    """A per-test list that yield fixtures can record their steps into."""
    return []


@pytest.fixture
def tracked(events):
    events.append("tracked:setup")
    yield events
    events.append("tracked:teardown")
    assert events[-1] == "tracked:teardown"


@pytest.fixture(autouse=True)
def _root_autouse(monkeypatch):
    """Autouse fixture of the root conftest: visible in every test."""
    monkeypatch.setenv("TACH_FEATURES_AUTOUSE", "root")
    yield


@pytest.fixture(params=["json", "csv"], ids=["fmt-json", "fmt-csv"])
def file_format(request):
    return request.param


def pytest_collection_modifyitems(config, items):
    # Items collected from files named test_marks*.py get an extra marker:
    # checks that hooks in conftest.py run under Tach as they do under pytest.
    for item in items:
        if item.fspath.basename.startswith("test_marks"):
            item.add_marker(pytest.mark.smoke)


def pytest_report_header(config):
    return "features suite: cwd=" + os.path.basename(os.getcwd())
