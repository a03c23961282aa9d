"""pytest's built-in fixtures: capsys, capfd, tmp_path, monkeypatch, caplog."""
import logging
import os
import subprocess
import sys

import pytest

import helpers


def test_capsys_stdout(capsys):
    print("hello capsys")
    captured = capsys.readouterr()
    assert captured.out == "hello capsys\n"
    assert captured.err == ""


def test_capsys_stderr(capsys):
    sys.stderr.write("oops\n")
    assert capsys.readouterr().err == "oops\n"


def test_capsys_disabled(capsys):
    with capsys.disabled():
        pass
    print("after disabled")
    assert capsys.readouterr().out == "after disabled\n"


def test_capfd_os_write(capfd):
    os.write(1, b"raw fd 1\n")
    os.write(2, b"raw fd 2\n")
    out, err = capfd.readouterr()
    assert out == "raw fd 1\n"
    assert err == "raw fd 2\n"


def test_capfd_subprocess(capfd):
    subprocess.run(["/bin/sh", "-c", "echo from-child; echo child-err >&2"], check=True)
    out, err = capfd.readouterr()
    assert out == "from-child\n"
    assert err == "child-err\n"


def test_tmp_path(tmp_path):
    assert tmp_path.is_dir()
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "f.txt").write_text("content")
    assert (tmp_path / "f.txt").read_text() == "content"


def test_tmp_path_factory(tmp_path_factory):
    d = tmp_path_factory.mktemp("made")
    assert d.is_dir() and d.name.startswith("made")


def test_monkeypatch_setenv(monkeypatch):
    monkeypatch.setenv("TACH_FEATURES_VAR", "42")
    monkeypatch.delenv("TACH_FEATURES_NOT_SET", raising=False)
    assert os.environ["TACH_FEATURES_VAR"] == "42"


def test_monkeypatch_setattr(monkeypatch):
    monkeypatch.setattr(helpers, "current_user", lambda: "mallory")
    assert helpers.describe_user() == "user=mallory"


def test_monkeypatch_setattr_string_target(monkeypatch):
    monkeypatch.setattr("helpers.DEFAULT_LIMIT", 3)
    assert helpers.limited([1, 2, 3, 4, 5]) == [1, 2, 3]


def test_monkeypatch_chdir(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert os.getcwd() == str(tmp_path)


def test_helpers_unpatched():
    assert helpers.DEFAULT_LIMIT == 10
    assert helpers.describe_user() == "user=" + helpers.current_user()


def test_caplog(caplog):
    with caplog.at_level(logging.INFO):
        logging.getLogger("features").info("logged %d things", 3)
    assert caplog.messages == ["logged 3 things"]


def test_capsys_failing(capsys):
    print("captured and then the test fails")
    assert capsys.readouterr().out == "something else\n"
