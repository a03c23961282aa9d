"""Pristine-state baselines for the state catalogue.

Imported by conftest.py, i.e. while pytest (or tach's zygote) loads the
suite, before any test runs: what is recorded here is the golden state every
test must start from.  A few values that pytest itself changes after the
conftest is imported (faulthandler, atexit registrations) are recorded later,
by conftest's ``pytest_collection_finish`` hook, into ``LATE``.

Tests compare against these values; they never re-measure a baseline
themselves (a baseline taken inside a test would hide a failed restore).
"""

import ctypes
import errno
import gc
import importlib.util
import locale
import logging
import mmap
import os
import random
import resource
import signal
import socket
import sys
import tempfile
import threading
import time
import warnings

import catalogue_preloaded  # a suite module that is imported at collection

# ----------------------------------------------------------------- helpers

LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.getenv.restype = ctypes.c_char_p
LIBC.getenv.argtypes = [ctypes.c_char_p]
LIBC.mprotect.restype = ctypes.c_int
LIBC.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]


def c_getenv(name):
    """The C library's view of the environment (not os.environ's copy)."""
    value = LIBC.getenv(name.encode())
    return None if value is None else value.decode()


def proc_status(field, path="/proc/self/status"):
    with open(path) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key == field:
                return value.strip()
    raise KeyError(field)


def signal_bit(mask_field, signum, path="/proc/self/status"):
    """Whether SIGNUM's bit is set in a /proc status mask (SigCgt, SigIgn, SigBlk)."""
    return bool((int(proc_status(mask_field, path), 16) >> (signum - 1)) & 1)


def children():
    """Pids of this process's children (any thread's), from /proc."""
    pids = []
    for task in os.listdir("/proc/self/task"):
        try:
            with open("/proc/self/task/%s/children" % task) as f:
                pids.extend(int(p) for p in f.read().split())
        except FileNotFoundError:  # the thread is gone
            pass
    return sorted(pids)


def tasks():
    return sorted(int(t) for t in os.listdir("/proc/self/task"))


def open_fd_targets():
    """{fd: readlink target} for every fd of this process."""
    targets = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            targets[int(name)] = os.readlink("/proc/self/fd/" + name)
        except OSError:  # the fd listing the directory itself, already closed
            pass
    return targets


def maps_lines():
    with open("/proc/self/maps") as f:
        return f.read().splitlines()


def mapping_perms(address):
    """The permission string ('rw-p', ...) of the mapping holding ADDRESS."""
    for line in maps_lines():
        span, perms = line.split()[:2]
        lo, hi = (int(x, 16) for x in span.split("-"))
        if lo <= address < hi:
            return perms
    return None


def rss_bytes():
    return int(proc_status("VmRSS").split()[0]) * 1024


def identity(fd):
    st = os.fstat(fd)
    return (st.st_dev, st.st_ino)


# ----------------------------------------------------------------- files

# A private directory for the catalogue's files (removed at unconfigure).
WORK_DIR = tempfile.mkdtemp(prefix="tach-catalogue-")
os.chmod(WORK_DIR, 0o755)


def work_file(name, content=b""):
    path = os.path.join(WORK_DIR, name)
    with open(path, "wb") as f:
        f.write(content)
    return path


# fds: a file kept open by the pristine state (a test dup2()s over it), one
# that a test closes, and the path a test leaks open fds to.
DUP_TARGET_PATH = work_file("dup-target", b"golden dup target\n")
DUP_TARGET_FD = os.open(DUP_TARGET_PATH, os.O_RDONLY)
DUP_TARGET_ID = identity(DUP_TARGET_FD)
CLOSE_TARGET_PATH = work_file("close-target", b"golden close target\n")
CLOSE_TARGET_FD = os.open(CLOSE_TARGET_PATH, os.O_RDONLY)
CLOSE_TARGET_ID = identity(CLOSE_TARGET_FD)
REPLACEMENT_PATH = work_file("replacement", b"not the golden file\n")
LEAK_MARKER = "tach-catalogue-leaked-fd"
LEAK_PATH = work_file(LEAK_MARKER, b"leak me\n")

# file offsets: a raw fd and a buffered file object at offset 0.
OFFSET_CONTENT = bytes(range(256)) * 64  # 16 KiB
OFFSET_PATH = work_file("offsets", OFFSET_CONTENT)
OFFSET_FD = os.open(OFFSET_PATH, os.O_RDONLY)
OFFSET_FD_ID = identity(OFFSET_FD)
OFFSET_FILE = open(OFFSET_PATH, "rb")  # noqa: SIM115 - kept open on purpose
OFFSET_FILE_ID = identity(OFFSET_FILE.fileno())

# mmap: a file mapped privately by a test (found in /proc/self/maps by name).
MAPPED_MARKER = "tach-catalogue-mapped-file"
MAPPED_PATH = work_file(MAPPED_MARKER, b"\x5a" * (256 * 1024))

# ----------------------------------------------------------------- memory

PAGE = mmap.PAGESIZE
GOLDEN_SIZE = 1 << 20
GOLDEN_PATTERN = bytes((i * 7 + 3) & 0xFF for i in range(PAGE))


def _golden_map():
    # Private: Python's default for anonymous maps is MAP_SHARED, whose pages
    # a forked child shares with its parent (nothing can isolate those).
    m = mmap.mmap(-1, GOLDEN_SIZE, flags=mmap.MAP_PRIVATE)
    for off in range(0, GOLDEN_SIZE, PAGE):
        m[off:off + PAGE] = GOLDEN_PATTERN
    return m


GOLDEN_CONTENT_MAP = _golden_map()      # a test overwrites it
GOLDEN_UNMAP_MAP = _golden_map()        # a test closes (munmaps) it
GOLDEN_PROTECT_MAP = _golden_map()      # a test mprotect()s it read-only
# The address of the last one, for mprotect() and /proc/self/maps.  The
# ctypes view keeps a buffer export on the mmap for the session (fine: that
# one is never closed).
_PROTECT_VIEW = ctypes.c_char.from_buffer(GOLDEN_PROTECT_MAP)
GOLDEN_PROTECT_ADDR = ctypes.addressof(_PROTECT_VIEW)
GOLDEN_PROTECT_PERMS = mapping_perms(GOLDEN_PROTECT_ADDR)


def golden_map_intact(m):
    if m.closed:
        return False
    return all(m[off:off + PAGE] == GOLDEN_PATTERN for off in range(0, GOLDEN_SIZE, PAGE))


# Memory growth.  The resident set a test starts with is compared with the
# one the first test run by this process started with.  That baseline is
# kept in a file named after the pid (files are not part of the restored
# state): a global would be restored along with the leak it should expose.
# The first test of a process (a fork child, a fresh snapshot worker, plain
# pytest's single process) records it; everything the engine adds before
# the first test (e.g. the golden copy of snapshot mode) is in it.
RSS_SLACK = int(os.environ.get("TACH_CATALOGUE_RSS_SLACK_MB", "32")) * (1 << 20)
BIG_ALLOCATION = max(64 << 20, RSS_SLACK + (32 << 20))


def rss_baseline():
    """(baseline, now): the first test's resident set in this process, and now."""
    now = rss_bytes()
    path = os.path.join(WORK_DIR, "rss-baseline-%d" % os.getpid())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        with open(path) as f:
            return int(f.read()), now
    with os.fdopen(fd, "w") as f:
        f.write(str(now))
    return now, now


# ----------------------------------------------------------------- modules

# A stdlib C extension (a shared object the import dlopen()s) that nothing
# has imported yet.  find_spec() locates it without loading it.
CEXT_CANDIDATES = ("_testcapi", "_testbuffer", "_curses", "audioop", "_lsprof",
                   "cmath", "_crypt", "syslog", "termios", "_dbm")


def _pick_cext():
    for name in CEXT_CANDIDATES:
        if name in sys.modules:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is not None and spec.origin and spec.origin.endswith(".so"):
            return name, os.path.realpath(spec.origin)
    return None, None


CEXT_NAME, CEXT_PATH = _pick_cext()
LAZY_HELPER = "catalogue_lazy_helper"  # a suite module nobody imports at collection
PRELOADED = catalogue_preloaded

SYS_PATH_MARKER = "/nonexistent/tach-catalogue-sys-path-marker"

# ----------------------------------------------------------------- process

CWD = os.getcwd()
UMASK = os.umask(0o022)
os.umask(UMASK)

ENV_NEW_KEY = "TACH_CATALOGUE_NEW"
ENV_CHANGED_KEY = "TACH_CATALOGUE_CHANGED"
ENV_DELETED_KEY = "TACH_CATALOGUE_DELETED"
# Set here, so that these keys are part of the golden environment (the C
# library's environ array included).
os.environ[ENV_CHANGED_KEY] = "golden-changed"
os.environ[ENV_DELETED_KEY] = "golden-deleted"

SIGNALS = {}
for _sig in (signal.SIGUSR1, signal.SIGHUP, signal.SIGSEGV):
    SIGNALS[_sig] = (signal.getsignal(_sig),
                     signal_bit("SigCgt", _sig), signal_bit("SigIgn", _sig))
SIGMASK = signal.pthread_sigmask(signal.SIG_BLOCK, [])
SIGBLK = proc_status("SigBlk", "/proc/thread-self/status")

RLIMITS = {name: resource.getrlimit(getattr(resource, name))
           for name in ("RLIMIT_NOFILE", "RLIMIT_CORE", "RLIMIT_FSIZE")}

AFFINITY = os.sched_getaffinity(0)

SPAWNED_CHILDREN = []  # pids a test started (plain pytest: killed at unconfigure)

# ----------------------------------------------------------------- interpreter

RECURSION_LIMIT = sys.getrecursionlimit()
GC_ENABLED = gc.isenabled()
GC_THRESHOLD = gc.get_threshold()
GC_DEBUG = gc.get_debug()
GC_CALLBACKS = len(gc.callbacks)
SWITCH_INTERVAL = sys.getswitchinterval()
INT_MAX_STR_DIGITS = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else None
EXCEPTHOOK = sys.excepthook
SOCKET_TIMEOUT = socket.getdefaulttimeout()

RANDOM_SEED = 20240601
random.seed(RANDOM_SEED)
RANDOM_STATE = random.getstate()
RANDOM_FIRST = random.Random(RANDOM_SEED).random()

ROOT_LOGGER_LEVEL = logging.getLogger().level
LOGGING_DISABLE = logging.root.manager.disable
LOGGER_NAME = "tach.catalogue.created.by.a.test"

WARNINGS_DEFAULTACTION = warnings.defaultaction


class CatalogueWarning(UserWarning):
    """The category the warnings tests add filters for."""


TZ = os.environ.get("TZ")
TIMEZONE = (time.timezone, time.altzone, time.daylight, tuple(time.tzname),
            time.localtime(0).tm_gmtoff)

LC_TIME = locale.setlocale(locale.LC_TIME)

# os.register_at_fork: the callbacks a test registers bump this counter.
AT_FORK_CALLS = [0]


def forks_run_callbacks():
    """Fork a child that exits at once; True if a registered before-fork callback ran."""
    before = AT_FORK_CALLS[0]
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    while True:
        try:
            os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
        except ChildProcessError:
            break
    return AT_FORK_CALLS[0] != before


# Filled by conftest.pytest_collection_finish: values pytest changes after
# the conftest is imported but before any test runs.
LATE = {}


def record_late():
    import atexit
    import faulthandler
    LATE["faulthandler"] = faulthandler.is_enabled()
    LATE["faulthandler_sigsegv_caught"] = signal_bit("SigCgt", signal.SIGSEGV)
    LATE["atexit"] = atexit._ncallbacks()
    LATE["sys_path"] = list(sys.path)


def late(key):
    assert LATE, "conftest.pytest_collection_finish did not record the late baselines"
    return LATE[key]


def error_name(exc):
    return errno.errorcode.get(exc.errno, str(exc.errno))


MAIN_THREAD = threading.main_thread()
