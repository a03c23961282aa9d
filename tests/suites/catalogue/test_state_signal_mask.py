"""The signal mask of the thread running the test (signal.pthread_sigmask)."""

import signal

import catalogue_state as S


def _mask():
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    blk = S.proc_status("SigBlk", "/proc/thread-self/status")
    assert (mask, blk) == (S.SIGMASK, S.SIGBLK), \
        "blocked signals %r (SigBlk %s), golden %r (%s)" % (mask, blk, S.SIGMASK, S.SIGBLK)
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1, signal.SIGWINCH])


def test_signal_mask_blocked_pristine_then_dirty_a():
    _mask()


def test_signal_mask_blocked_pristine_then_dirty_b():
    _mask()
