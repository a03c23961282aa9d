"""Plain test functions: assertions (passing and failing), output, raises, warns."""
import sys
import warnings

import pytest


def compute_answer():
    return 41


def test_int_arithmetic():
    assert 6 * 7 == 42


def test_string_methods():
    assert "tach".upper() == "TACH"
    assert "a,b,c".split(",") == ["a", "b", "c"]


def test_conftest_was_loaded(request):
    import conftest

    assert conftest.FEATURES_CONFTEST_LOADED
    assert request.config.features_configured


def test_fail_int_compare():
    assert compute_answer() == 42


def test_fail_string_compare():
    name = "hello world"
    assert name == "hello wrold"


def test_fail_dict_compare():
    got = {"apples": 3, "pears": 5, "plums": 1}
    assert got == {"apples": 3, "pears": 4, "kiwis": 1}


def test_fail_list_compare(numbers):
    assert sorted(numbers) == [1, 2, 3, 4]


def test_fail_membership():
    assert "zebra" in ["ant", "bee", "cat"]


def test_fail_unexpected_exception():
    config = {"host": "localhost"}
    port = config["port"]  # KeyError: not an assertion, still a failure
    assert port == 80


def test_print_stdout_passing():
    print("this line goes to captured stdout of a passing test")
    assert True


def test_print_stderr_passing():
    print("this line goes to captured stderr of a passing test", file=sys.stderr)


def test_print_then_fail():
    print("stdout before the failure: marker-out-7f3a")
    print("stderr before the failure: marker-err-7f3a", file=sys.stderr)
    assert [1, 2, 3] == [1, 2, 4]


def test_raises_passes():
    with pytest.raises(ZeroDivisionError):
        1 / 0


def test_raises_match_and_info():
    with pytest.raises(ValueError, match=r"invalid literal .* 'x'") as excinfo:
        int("x")
    assert excinfo.type is ValueError


def test_raises_not_raised_fails():
    with pytest.raises(ValueError):
        int("12")


def test_warns_passes():
    with pytest.warns(DeprecationWarning, match="old api"):
        warnings.warn("old api is deprecated", DeprecationWarning)


def test_warns_not_warned_fails():
    with pytest.warns(UserWarning):
        pass


def test_approx():
    assert 0.1 + 0.2 == pytest.approx(0.3)
    assert [0.1 + 0.2, 1.0] == pytest.approx([0.3, 1.0])
