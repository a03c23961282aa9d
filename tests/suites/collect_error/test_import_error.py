"""This module's import fails: collecting it is an error."""
import tach_no_such_module_for_collect_error  # noqa: F401


def test_never_collected_either():
    pass
