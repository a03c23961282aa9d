"""Tests that leak state into whatever runs after them in the same process.

Each kind of leak is tested twice ([first] and [second]).  Both cases check
the pristine state, then dirty it.  Under per-test isolation both pass; in
one shared interpreter the [second] case sees the first one's mess.
"""
import os
import signal
import subprocess
import sys
import tempfile
import threading
import types

import pytest

RUNS = pytest.mark.parametrize("run", ["first", "second"])

COUNTER = 0
SEEN = []
START_CWD = os.getcwd()
START_UMASK = os.umask(0o022)
os.umask(START_UMASK)
START_SIGUSR1 = signal.getsignal(signal.SIGUSR1)
FD_MARKER = os.path.join(tempfile.gettempdir(), "tach-isolation-fd-marker-%d" % os.getuid())
LEAK_DIR = tempfile.gettempdir()
THREAD_NAME = "tach-isolation-leaked-thread"


class Registry:
    entries = {}


@RUNS
def test_module_global_counter(run):
    global COUNTER
    assert COUNTER == 0
    COUNTER += 1


@RUNS
def test_module_level_list(run):
    assert SEEN == []
    SEEN.append(run)


@RUNS
def test_class_attribute(run):
    assert Registry.entries == {}
    Registry.entries[run] = True


@RUNS
def test_environ(run):
    assert "TACH_ISOLATION_LEAK" not in os.environ
    os.environ["TACH_ISOLATION_LEAK"] = run


@RUNS
def test_sys_modules(run):
    assert "tach_isolation_fake_module" not in sys.modules
    sys.modules["tach_isolation_fake_module"] = types.ModuleType("tach_isolation_fake_module")


@RUNS
def test_lazily_imported_module_state(run):
    assert "leaky_helper" not in sys.modules
    import leaky_helper

    assert leaky_helper.record(run) == 1


@RUNS
def test_sys_path(run):
    assert "/tach/isolation/leak" not in sys.path
    sys.path.append("/tach/isolation/leak")


@RUNS
def test_stdlib_module_attribute(run):
    assert not hasattr(os.path, "tach_isolation_marker")
    os.path.tach_isolation_marker = run


@RUNS
def test_cwd(run):
    assert os.getcwd() == START_CWD
    os.chdir(LEAK_DIR)


@RUNS
def test_umask(run):
    dirty = 0o077 if START_UMASK != 0o077 else 0o027
    assert os.umask(dirty) == START_UMASK


@RUNS
def test_signal_handler(run):
    assert signal.getsignal(signal.SIGUSR1) == START_SIGUSR1
    signal.signal(signal.SIGUSR1, lambda signum, frame: None)


def _fds_pointing_at(path):
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink("/proc/self/fd/" + fd) == path:
                found.append(int(fd))
        except OSError:
            pass  # the fd of the listdir itself
    return found


@RUNS
def test_leaked_file_descriptor(run):
    assert _fds_pointing_at(FD_MARKER) == []
    os.open(FD_MARKER, os.O_RDONLY | os.O_CREAT, 0o600)  # never closed


@RUNS
def test_leaked_thread(run):
    assert THREAD_NAME not in [t.name for t in threading.enumerate()]
    never = threading.Event()
    threading.Thread(target=never.wait, name=THREAD_NAME, daemon=True).start()


@RUNS
def test_leaked_child_process(run):
    try:
        os.waitpid(-1, os.WNOHANG)  # (0, 0) while a child is still running
    except ChildProcessError:
        pass  # no child at all: pristine
    else:
        pytest.fail("a child process of an earlier test is still around")
    subprocess.Popen(["sleep", "5"], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
