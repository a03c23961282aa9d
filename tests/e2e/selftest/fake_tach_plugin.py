"""pytest plugin behind fake_tach.py: fork per test, crash and timeout results."""
import faulthandler
import json
import os
import select
import signal
import tempfile
import time

import pytest
from _pytest.reports import TestReport
from _pytest.runner import runtestprotocol


def pytest_addoption(parser):
    group = parser.getgroup("fake_tach")
    group.addoption("--fake-tach-fork", action="store_true", default=False)
    group.addoption("--fake-tach-timeout", type=float, default=0.0)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    config = item.config
    if not config.getoption("fake_tach_fork"):
        return None
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    for report in _run_in_child(item, config.getoption("fake_tach_timeout")):
        item.ihook.pytest_runtest_logreport(report=report)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def _run_in_child(item, timeout):
    config = item.config
    dump = tempfile.TemporaryFile()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(r)
            if timeout:
                faulthandler.dump_traceback_later(timeout, file=dump.fileno())
            reports = runtestprotocol(item, log=False, nextitem=None)
            data = [config.hook.pytest_report_to_serializable(config=config, report=rep)
                    for rep in reports]
            payload = json.dumps(data).encode()
            view = memoryview(payload)
            while view:
                n = os.write(w, view)
                view = view[n:]
        finally:
            os._exit(0)
    os.close(w)
    chunks = []
    status = None
    deadline = time.monotonic() + timeout + 0.5 if timeout else None
    pipe_open = True
    while pipe_open or status is None:
        if pipe_open:
            ready, _, _ = select.select([r], [], [], 0.05)
            if ready:
                chunk = os.read(r, 65536)
                chunks.append(chunk)
                pipe_open = bool(chunk)
        else:
            time.sleep(0.01)
        if status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = st
                # The child is gone: whatever it wrote is in the pipe now.
                while pipe_open:
                    chunk = os.read(r, 65536)
                    chunks.append(chunk)
                    pipe_open = bool(chunk)
        if status is None and deadline is not None and time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(r)
            dump.seek(0)
            stack = dump.read().decode("utf-8", "replace")
            return [_synthetic(item, "timeout: test did not finish within %gs\n%s"
                               % (timeout, stack))]
    os.close(r)
    payload = b"".join(chunks)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and payload:
        reports = [config.hook.pytest_report_from_serializable(config=config, data=d)
                   for d in json.loads(payload)]
        for rep in reports:
            if isinstance(rep.longrepr, list):  # JSON turned the skip tuple into a list
                rep.longrepr = tuple(rep.longrepr)
        return reports
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        how = "killed by signal %d (%s)" % (sig, signal.Signals(sig).name)
    else:
        how = "exited with status %d before reporting a result" % os.WEXITSTATUS(status)
    return [_synthetic(item, "crashed: worker %s" % how)]


def _synthetic(item, text):
    return TestReport(item.nodeid, item.location, {}, "failed", text, "call")
