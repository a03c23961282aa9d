import os

import pytest


def test_package_fixture(package_resource):
    assert package_resource == {"scope": "package", "package": "subpkg"}


def test_overridden_fixture(greeting):
    assert greeting == "hello from the subpkg conftest"


def test_both_autouse_fixtures():
    assert os.environ["TACH_FEATURES_AUTOUSE"] == "root"
    assert os.environ["TACH_FEATURES_SUBPKG"] == "yes"


def test_session_fixture_from_root(session_resource, module_resource):
    assert session_resource["scope"] == "session"
    assert module_resource["module"] == "subpkg.test_sub"


def test_sub_fails_on_purpose(package_resource):
    assert package_resource["package"] == "otherpkg"


class TestSubClass:
    def test_alpha_in_subpkg(self):
        assert "alpha".startswith("al")
