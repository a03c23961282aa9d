"""Signal dispositions: a Python handler installed, a signal ignored.  Checked
both as Python sees them and as the kernel does (/proc/self/status)."""

import signal

import catalogue_state as S


def _check(signum):
    handler, caught, ignored = S.SIGNALS[signum]
    now = (signal.getsignal(signum), S.signal_bit("SigCgt", signum), S.signal_bit("SigIgn", signum))
    assert now == (handler, caught, ignored), \
        "%s: (handler, caught, ignored) is %r, golden %r" % (signal.Signals(signum).name, now,
                                                             (handler, caught, ignored))


def _on_usr1(signum, frame):
    pass


def _handler():
    _check(signal.SIGUSR1)
    signal.signal(signal.SIGUSR1, _on_usr1)
    assert S.signal_bit("SigCgt", signal.SIGUSR1)


def test_signal_handlers_python_handler_pristine_then_dirty_a():
    _handler()


def test_signal_handlers_python_handler_pristine_then_dirty_b():
    _handler()


def _ignored():
    _check(signal.SIGHUP)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    assert S.signal_bit("SigIgn", signal.SIGHUP)


def test_signal_handlers_ignored_pristine_then_dirty_a():
    _ignored()


def test_signal_handlers_ignored_pristine_then_dirty_b():
    _ignored()
