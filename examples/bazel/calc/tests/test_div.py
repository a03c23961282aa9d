import os

import pytest

from calc.ops import div


def test_div(pair):
    assert div(*pair) == 2


def test_div_by_zero():
    with pytest.raises(ZeroDivisionError):
        div(1, 0)


def test_tmp_path_is_under_bazel_test_tmpdir(tmp_path):
    root = os.path.realpath(os.environ["TEST_TMPDIR"])
    assert os.path.realpath(str(tmp_path)).startswith(root + os.sep)
