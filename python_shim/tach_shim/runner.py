"""Running one collected item through pytest's own run-test protocol."""

import os
import time

from tach_shim.outcome import summarize


class Runner:
    """Called by the worker's request loop, once per test."""

    def __init__(self, plugin, items, traceback_fd):
        self._plugin = plugin
        self._items = {item.nodeid: item for item in items}
        self._traceback_fd = traceback_fd

    def run(self, nodeid, forked):
        item = self._items.get(nodeid)
        if item is None:
            return {"outcome": "error", "phase": "setup", "duration": 0.0,
                    "message": f"not a collected test: {nodeid}",
                    "longrepr": f"not a collected test: {nodeid}"}
        # The traceback file is shared with the host: start it empty so a
        # timeout shows this test's stack only.
        os.ftruncate(self._traceback_fd, 0)
        os.lseek(self._traceback_fd, 0, os.SEEK_SET)

        reports = []
        self._plugin.reports = reports
        start = time.perf_counter()
        try:
            # nextitem=None: every fixture, whatever its scope, is torn down
            # after this test, so each test gets its own fresh setup.
            item.ihook.pytest_runtest_protocol(item=item, nextitem=None)
        finally:
            self._plugin.reports = None
        duration = time.perf_counter() - start
        return summarize(reports, duration)
