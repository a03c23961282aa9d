"""The Python side of a tach worker.

The worker (C++) embeds CPython and calls :func:`main` with pytest's
arguments.  ``main`` runs ``pytest.main`` with :class:`TachPlugin`, which lets
pytest configure and collect exactly as ``python -m pytest ARGS`` would, then
takes over pytest's run-test loop: it reports the collected node ids to the
worker and hands control to the worker's request loop, which calls back into
:class:`Runner` for every test the host asks for.
"""

import sys

# First: its clock marks when the worker started reading the project.
from tach_shim import freshness  # noqa: F401
from tach_shim.status import EINTERP, ECOLLECT, OK
from tach_shim.stderr_recorder import StderrRecorder

__all__ = ["main"]


def main(args):
    """Collect with pytest and serve tests.

    Returns ``(status, message)``: ``(OK, "")`` once the host has been served
    and released us, else a tach status code and the reason pytest stopped
    before collecting (usage error, conftest failure, pytest missing).
    """
    try:
        import pytest
    except Exception as exc:  # any import failure is the interpreter's problem
        return (EINTERP, f"pytest cannot be imported by {sys.executable}: {exc!r}")

    import _tach_worker
    from tach_shim.plugin import TachPlugin

    if getattr(_tach_worker, "COVERAGE", 0):
        # Before pytest imports conftest files and the project: module
        # bodies run during collection are measured too.
        from tach_shim import line_coverage
        try:
            line_coverage.start(_tach_worker)
        except Exception as exc:
            return (EINTERP, f"cannot start line coverage: {exc}")

    from tach_shim import debug_relay
    debug_relay.take_fd_from_environ()

    plugin = TachPlugin(_tach_worker)
    recorder = StderrRecorder(sys.stderr)
    sys.stderr = recorder
    try:
        exit_code = pytest.main(list(args), plugins=[plugin])
    finally:
        if sys.stderr is recorder:
            sys.stderr = recorder.inner
    if plugin.reported:
        return (OK, "")
    text = recorder.text().strip()
    if not text:
        text = f"pytest exited with {exit_code!r} before collecting any test"
    return (ECOLLECT, text)
