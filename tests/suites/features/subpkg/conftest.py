"""Second-level conftest: a package-scoped fixture and an override."""
import os

import pytest


@pytest.fixture(scope="package")
def package_resource(request):
    return {"scope": request.scope, "package": "subpkg"}


@pytest.fixture
def greeting(greeting):
    """Overrides the root fixture of the same name, using it."""
    return greeting.replace("root conftest", "subpkg conftest")


@pytest.fixture(autouse=True)
def _subpkg_autouse(monkeypatch):
    monkeypatch.setenv("TACH_FEATURES_SUBPKG", "yes")
