"""Interpreter-wide settings: the thread switch interval, the int/str
conversion limit, sys.excepthook, socket's default timeout."""

import socket
import sys

import pytest

import catalogue_state as S


def _switch_interval():
    assert sys.getswitchinterval() == S.SWITCH_INTERVAL, "switch interval %r" % sys.getswitchinterval()
    sys.setswitchinterval(S.SWITCH_INTERVAL * 2)


def test_interpreter_settings_switch_interval_pristine_then_dirty_a():
    _switch_interval()


def test_interpreter_settings_switch_interval_pristine_then_dirty_b():
    _switch_interval()


def _int_digits():
    if S.INT_MAX_STR_DIGITS is None:
        pytest.skip("sys.set_int_max_str_digits needs Python >= 3.10.7/3.11")
    assert sys.get_int_max_str_digits() == S.INT_MAX_STR_DIGITS
    sys.set_int_max_str_digits(S.INT_MAX_STR_DIGITS + 1000 if S.INT_MAX_STR_DIGITS else 5000)


def test_interpreter_settings_int_max_str_digits_pristine_then_dirty_a():
    _int_digits()


def test_interpreter_settings_int_max_str_digits_pristine_then_dirty_b():
    _int_digits()


def tach_catalogue_excepthook(*exc_info):
    sys.__excepthook__(*exc_info)


def _excepthook():
    assert sys.excepthook is S.EXCEPTHOOK, "sys.excepthook is %r" % sys.excepthook
    sys.excepthook = tach_catalogue_excepthook


def test_interpreter_settings_excepthook_pristine_then_dirty_a():
    _excepthook()


def test_interpreter_settings_excepthook_pristine_then_dirty_b():
    _excepthook()


def _socket_timeout():
    assert socket.getdefaulttimeout() == S.SOCKET_TIMEOUT, "socket default timeout %r" % socket.getdefaulttimeout()
    socket.setdefaulttimeout(12.5)


def test_interpreter_settings_socket_timeout_pristine_then_dirty_a():
    _socket_timeout()


def test_interpreter_settings_socket_timeout_pristine_then_dirty_b():
    _socket_timeout()
