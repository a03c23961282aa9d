"""The pytest plugin that turns a pytest session into a tach zygote."""

import faulthandler
import importlib
import signal

import pytest

from tach_shim import debug_relay, django_setup, fork_state, freshness
from tach_shim.runner import Runner
from tach_shim.wire_id import wire_id


class TachPlugin:
    """Records collection errors; replaces pytest's run-test loop."""

    def __init__(self, bridge):
        self._bridge = bridge
        self.reported = False
        self._collect_errors = []
        self._deselected = 0
        self.reports = None  # list receiving the current test's reports

    @pytest.hookimpl(tryfirst=True)
    def pytest_load_initial_conftests(self, early_config, parser, args):
        # Before the project's conftest files are imported, as pytest-django
        # does: a conftest may import models at module level.
        django_setup.setup_if_configured()

    def pytest_configure(self, config):
        # Again, in case a conftest set DJANGO_SETTINGS_MODULE itself.
        django_setup.setup_if_configured()
        debug_relay.install(config)
        fork_state.install()
        # A timed-out test gets SIGUSR2 from the host before SIGKILL: dump
        # every thread's stack where the host can read it.
        faulthandler.register(signal.SIGUSR2, file=self._bridge.TRACEBACK_FD,
                              all_threads=True, chain=False)

    @pytest.hookimpl(tryfirst=True)
    def pytest_exception_interact(self, node, call, report):
        # --pdb: show the failure before the post-mortem prompt.
        if node.config.getvalue("usepdb"):
            debug_relay.show_failure(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session):
        # pytest is configured and the conftest files it starts with are
        # imported; no test module is.  With a collection base, this is the
        # state parked for collecting again (park() returns in each zygote
        # forked from it); the paths to collect may differ from pytest's.
        if getattr(self._bridge, "KEEPS_BASE", 0):
            freshness.record(session.config)
        paths = self._bridge.park()
        if paths:
            session.config.args = list(paths)
        # Test files may have been written since the directories were read.
        importlib.invalidate_caches()

    def pytest_collectreport(self, report):
        if report.failed:
            nodeid = report.nodeid or str(getattr(report, "fspath", ""))
            self._collect_errors.append((nodeid, report.longreprtext))

    def pytest_deselected(self, items):
        self._deselected += len(items)

    def pytest_runtest_logreport(self, report):
        if self.reports is not None:
            self.reports.append(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        items = list(session.items)
        option = session.config.option
        interrupts = bool(self._collect_errors) and not getattr(
            option, "continue_on_collection_errors", False)
        self._bridge.collected([wire_id(item.nodeid) for item in items],
                               list(self._collect_errors), interrupts,
                               pytest.__version__, self._deselected,
                               [str(p) for p in session.config.getini("python_files")])
        self.reported = True
        self._bridge.serve(Runner(self, session, items, self._bridge.TRACEBACK_FD))
        return True
