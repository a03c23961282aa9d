"""Running one collected item through pytest's own run-test protocol."""

import os
import time

from _pytest.outcomes import Exit

from tach_shim.outcome import summarize
from tach_shim.wire_id import wire_id


class Runner:
    """Called by the worker's request loop, once per test."""

    def __init__(self, plugin, session, items, traceback_fd):
        self._plugin = plugin
        self._session = session
        self._items = list(items)
        # Keyed by the id the host was given (valid UTF-8); the first item
        # wins if two undecodable names read the same.
        self._index = {}
        for i, item in enumerate(self._items):
            self._index.setdefault(wire_id(item.nodeid), i)
        self._traceback_fd = traceback_fd

    def _next_item(self, index, forked):
        # In a forked child nothing survives the test, so every fixture of
        # every scope is torn down after it (nextitem=None).  Running in the
        # zygote itself (isolation "none"), higher-scoped fixtures stay up
        # for the next test in collection order, exactly as under pytest.
        if forked or index + 1 >= len(self._items):
            return None
        return self._items[index + 1]

    def _tear_down_unrelated(self, item):
        # The host may run tests in another order than pytest's: finish the
        # fixtures of collectors this item does not belong to first.
        setupstate = getattr(self._session, "_setupstate", None)
        if setupstate is None or not getattr(setupstate, "stack", None):
            return
        try:
            setupstate.teardown_exact(item)
        except Exception:
            pass  # a teardown error belongs to the earlier test, not this one

    def run(self, nodeid, forked):
        index = self._index.get(nodeid)
        if index is None:
            return {"outcome": "error", "phase": "setup", "duration": 0.0,
                    "message": f"not a collected test: {nodeid}",
                    "longrepr": f"not a collected test: {nodeid}"}
        item = self._items[index]
        # The traceback file is shared with the host: start it empty so a
        # timeout shows this test's stack only.
        os.ftruncate(self._traceback_fd, 0)
        os.lseek(self._traceback_fd, 0, os.SEEK_SET)
        if not forked:
            self._tear_down_unrelated(item)

        reports = []
        self._plugin.reports = reports
        start = time.perf_counter()
        try:
            item.ihook.pytest_runtest_protocol(item=item, nextitem=self._next_item(index, forked))
        except Exit as exc:
            # `q` at a --pdb or breakpoint() prompt: pytest would end the
            # session; tach reports what the test did so far and goes on.
            if not any(r.when == "call" or r.failed for r in reports):
                text = f"stopped from the debugger: {exc.msg}"
                return {"outcome": "failed", "phase": "call",
                        "duration": time.perf_counter() - start,
                        "message": text, "longrepr": text}
        finally:
            self._plugin.reports = None
        duration = time.perf_counter() - start
        return summarize(reports, duration)

    def statements(self, paths, include_unimported):
        """Executable statements of `paths` (and of the unimported files
        under the coverage sources), for coverage reports."""
        import _tach_worker
        from tach_shim import line_coverage

        return line_coverage.statements(_tach_worker, paths, include_unimported)

    def stale_reason(self):
        """Why the parked pre-collection state is out of date ("" if it
        is not); asked before collecting again from it."""
        from tach_shim import freshness

        return freshness.stale_reason()

    def capture_fds(self):
        """The fds of pytest's global fd-level capture files, ``(stdout,
        stderr)``, -1 where there is none (``-s``, ``--capture=sys``).  A
        lane gives itself files of its own in their place, so that tests
        running at once in two lanes do not write into one file."""
        capman = self._session.config.pluginmanager.getplugin("capturemanager")
        capturing = getattr(capman, "_global_capturing", None) if capman else None
        fds = []
        for name in ("out", "err"):
            cap = getattr(capturing, name, None)
            fd = -1
            if cap is not None and hasattr(cap, "targetfd_save"):
                try:
                    fd = cap.tmpfile.fileno()
                except Exception:
                    fd = -1
            fds.append(fd)
        return tuple(fds)

    def crash_output(self):
        """What a test process that died wrote before dying, as ``(stdout,
        stderr)``.  pytest's fd-level capture files are shared with the
        forked process that ran the test, so the zygote can still read them;
        reading also empties them for the next test."""
        capman = self._session.config.pluginmanager.getplugin("capturemanager")
        if capman is None:
            return ("", "")
        try:
            out, err = capman.read_global_capture()
        except Exception:
            return ("", "")
        return (out or "", err or "")
