"""The catalogue's conftest: records the pristine state before any test runs."""

import os
import shutil
import signal

import catalogue_state


def pytest_collection_finish(session):
    catalogue_state.record_late()


def pytest_unconfigure(config):
    # Plain pytest leaves the children a test started running: stop them.
    for pid in catalogue_state.SPAWNED_CHILDREN:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError, PermissionError):
            pass
    shutil.rmtree(catalogue_state.WORK_DIR, ignore_errors=True)
