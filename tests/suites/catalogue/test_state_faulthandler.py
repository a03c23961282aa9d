"""faulthandler switched off (pytest enables it for the session): Python's
flag and the kernel's SIGSEGV disposition."""

import faulthandler
import signal

import catalogue_state as S


def _disable():
    now = (faulthandler.is_enabled(), S.signal_bit("SigCgt", signal.SIGSEGV))
    golden = (S.late("faulthandler"), S.late("faulthandler_sigsegv_caught"))
    assert now == golden, "(enabled, SIGSEGV caught) is %r, golden %r" % (now, golden)
    if golden[0]:
        faulthandler.disable()
    else:
        faulthandler.enable()


def test_faulthandler_disable_pristine_then_dirty_a():
    _disable()


def test_faulthandler_disable_pristine_then_dirty_b():
    _disable()
