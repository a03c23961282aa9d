#!/usr/bin/env python3
"""Warm re-collection benchmark: tach_recollect from the parked
pre-collection state against a new worker, through libtach and ctypes.

    bench/recollect_bench.py [--build DIR] [--repeat 5] [--tests 600] [--files 30]
                             [--isolation auto|fork|snapshot|none] [--python PATH]
                             [--django] [--smoke] [--keep DIR]

Generates the realistic suite of bench/run_bench.py (a conftest.py importing
numpy, when installed, and a dozen large standard-library packages: the
start-up the parked state saves) and measures, each --repeat times in the
same run (median and minimum are printed):

  a) cold start        tach_init (keep_collection_base=1) + tach_snapshot
  a') the same without a base (keep_collection_base=0): what parking costs
  b) one file, reused  that engine: edit one test file, tach_recollect([file])
                       + tach_snapshot; reused must be 1
  c) one file, new     an engine with keep_collection_base=0: edit the file,
                       tach_recollect([file]) + tach_snapshot; reused is 0
                       (a new worker, as `tach --watch` did before)
  d) everything        b and c with npaths=0 (the arguments' own paths)

Each edit adds a test with a new name, which the re-collection must find.
The re-collected tests are run once (tach_run_test on each) and must pass,
so every figure is of a working state.  Also printed: the memory of the
idle base process that holds the parked state (VmRSS; Pss and private
memory from /proc/PID/smaps_rollup when readable).

--django  the suite is a copy of tests/suites/django_project (Django set up
          and its tables created before collection) instead.
--smoke   one repeat of a 20-test suite; checks that it runs and that the
          state is reused where it must be (meson test bench-recollect-smoke).

Standard library only.  Exits 1 with a message when a call fails, reused is
not what it must be, or a re-collected test does not pass.
"""

import argparse
import ctypes
import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import run_bench  # noqa: E402  (generate(), python_has())

TACH_OK = 0
ISOLATIONS = {"auto": 0, "fork": 1, "none": 2, "snapshot": 3}
OUTCOMES = ["passed", "failed", "skipped", "xfailed", "xpassed", "error", "crashed", "timeout"]


class InitOptions(ctypes.Structure):
    """tach_init_options, fourth layout (tach_init_options_init_v4), field
    for field."""

    _fields_ = [
        ("size", ctypes.c_size_t),
        ("project_root", ctypes.c_char_p),
        ("args", ctypes.POINTER(ctypes.c_char_p)),
        ("nargs", ctypes.c_size_t),
        ("python", ctypes.c_char_p),
        ("isolation", ctypes.c_int),  # a C enum: int-sized on this ABI
        ("timeout_seconds", ctypes.c_double),
        ("worker_path", ctypes.c_char_p),
        ("shim_path", ctypes.c_char_p),
        # second layout: coverage
        ("coverage", ctypes.c_int),
        ("coverage_sources", ctypes.POINTER(ctypes.c_char_p)),
        ("ncoverage_sources", ctypes.c_size_t),
        # third layout: limits, sandbox, debugger
        ("max_worker_memory", ctypes.c_uint64),
        ("sandbox", ctypes.c_int),
        ("debugger", ctypes.c_int),
        # fourth layout: warm re-collection
        ("keep_collection_base", ctypes.c_int),
    ]


class Failure(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failure(what)


# ------------------------------------------------------------------ libtach

def load_library(path):
    lib = ctypes.CDLL(path)
    engine_p = ctypes.c_void_p
    result_p = ctypes.c_void_p
    sigs = {
        "tach_strerror": (ctypes.c_char_p, [ctypes.c_int]),
        "tach_init_options_init_v4": (ctypes.c_int, [ctypes.POINTER(InitOptions)]),
        "tach_init": (ctypes.c_int, [ctypes.POINTER(engine_p), ctypes.POINTER(InitOptions)]),
        "tach_shutdown": (None, [engine_p]),
        "tach_errmsg": (ctypes.c_char_p, [engine_p]),
        "tach_test_count": (ctypes.c_size_t, [engine_p]),
        "tach_test_nodeid": (ctypes.c_char_p, [engine_p, ctypes.c_size_t]),
        "tach_collect_error_count": (ctypes.c_size_t, [engine_p]),
        "tach_collect_error_nodeid": (ctypes.c_char_p, [engine_p, ctypes.c_size_t]),
        "tach_collect_error_text": (ctypes.c_char_p, [engine_p, ctypes.c_size_t]),
        "tach_recollect": (ctypes.c_int, [engine_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t,
                                          ctypes.POINTER(ctypes.c_int)]),
        "tach_recollect_reason": (ctypes.c_char_p, [engine_p]),
        "tach_snapshot": (ctypes.c_int, [engine_p]),
        "tach_restore": (ctypes.c_int, [engine_p]),
        "tach_engine_isolation": (ctypes.c_int, [engine_p]),
        "tach_engine_isolation_reason": (ctypes.c_char_p, [engine_p]),
        "tach_isolation_name": (ctypes.c_char_p, [ctypes.c_int]),
        "tach_python_version": (ctypes.c_char_p, [engine_p]),
        "tach_pytest_version": (ctypes.c_char_p, [engine_p]),
        "tach_run_test": (ctypes.c_int, [engine_p, ctypes.c_char_p, ctypes.POINTER(result_p)]),
        "tach_result_outcome": (ctypes.c_int, [result_p]),
        "tach_result_message": (ctypes.c_char_p, [result_p]),
        "tach_result_free": (None, [result_p]),
    }
    for name, (restype, argtypes) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


def text(raw):
    return raw.decode("utf-8", "replace") if raw is not None else ""


class Engine:
    """One tach_engine; every failing call raises Failure with the message."""

    def __init__(self, lib, options, keep_base):
        self.lib = lib
        self.handle = ctypes.c_void_p()
        opts = options.make(keep_base)
        status = lib.tach_init(ctypes.byref(self.handle), ctypes.byref(opts))
        self._ok(status, "tach_init")

    def _ok(self, status, what):
        if status != TACH_OK:
            raise Failure("%s: %s: %s" % (what, text(self.lib.tach_strerror(status)),
                                          text(self.lib.tach_errmsg(self.handle))))

    def snapshot(self):
        self._ok(self.lib.tach_snapshot(self.handle), "tach_snapshot")

    def recollect(self, paths):
        """tach_recollect(paths); returns reused (1 or 0)."""
        encoded = [p.encode() for p in paths]
        array = (ctypes.c_char_p * max(len(encoded), 1))(*encoded)
        reused = ctypes.c_int(-1)
        status = self.lib.tach_recollect(self.handle, array if encoded else None, len(encoded),
                                         ctypes.byref(reused))
        self._ok(status, "tach_recollect(%s)" % (", ".join(paths) or "npaths=0"))
        return reused.value

    def reason(self):
        return text(self.lib.tach_recollect_reason(self.handle))

    def nodeids(self):
        return [text(self.lib.tach_test_nodeid(self.handle, i))
                for i in range(self.lib.tach_test_count(self.handle))]

    def collect_errors(self):
        return ["%s: %s" % (text(self.lib.tach_collect_error_nodeid(self.handle, i)),
                            text(self.lib.tach_collect_error_text(self.handle, i))[-500:])
                for i in range(self.lib.tach_collect_error_count(self.handle))]

    def isolation(self):
        return text(self.lib.tach_isolation_name(self.lib.tach_engine_isolation(self.handle)))

    def isolation_reason(self):
        return text(self.lib.tach_engine_isolation_reason(self.handle))

    def versions(self):
        return text(self.lib.tach_python_version(self.handle)), text(self.lib.tach_pytest_version(self.handle))

    def run(self, nodeid):
        result = ctypes.c_void_p()
        sys.stdout.flush()
        self._ok(self.lib.tach_run_test(self.handle, nodeid.encode(), ctypes.byref(result)),
                 "tach_run_test(%s)" % nodeid)
        try:
            return (OUTCOMES[self.lib.tach_result_outcome(result)],
                    text(self.lib.tach_result_message(result)))
        finally:
            self.lib.tach_result_free(result)
            self._ok(self.lib.tach_restore(self.handle), "tach_restore")

    def shutdown(self):
        if self.handle:
            self.lib.tach_shutdown(self.handle)
            self.handle = ctypes.c_void_p()


class Options:
    """What every engine of the run is started with."""

    def __init__(self, lib, root, args, isolation, python, worker, shim):
        self.lib, self.root, self.args = lib, root, args
        self.isolation, self.python, self.worker, self.shim = isolation, python, worker, shim
        self._keep = []  # what the structs point at must outlive tach_init

    def make(self, keep_base):
        opts = InitOptions()
        check(self.lib.tach_init_options_init_v4(ctypes.byref(opts)) == TACH_OK,
              "tach_init_options_init_v4 failed")
        check(opts.size == ctypes.sizeof(InitOptions),
              "the library's fourth layout is %d bytes, ctypes' %d: the declaration is out of date"
              % (opts.size, ctypes.sizeof(InitOptions)))
        check(opts.keep_collection_base == 0 and opts.isolation == 0, "unexpected defaults")
        argv = (ctypes.c_char_p * max(len(self.args), 1))(*[a.encode() for a in self.args])
        self._keep.append(argv)
        opts.project_root = self.root.encode()
        opts.args = argv
        opts.nargs = len(self.args)
        opts.isolation = ISOLATIONS[self.isolation]
        opts.python = self.python.encode() if self.python else None
        opts.worker_path = self.worker.encode() if self.worker else None
        opts.shim_path = self.shim.encode() if self.shim else None
        opts.keep_collection_base = 1 if keep_base else 0
        return opts


# ------------------------------------------------------------------ processes

def _stat_fields(pid):
    with open("/proc/%d/stat" % pid) as f:
        raw = f.read()
    comm = raw[raw.index("(") + 1:raw.rindex(")")]
    rest = raw[raw.rindex(")") + 2:].split()
    return comm, int(rest[1])  # comm, ppid


def children_of(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            comm, ppid = _stat_fields(int(entry))
        except (OSError, ValueError):
            continue
        if ppid == pid:
            kids.append((int(entry), comm))
    return kids


def memory_of(pid):
    """{"VmRSS": kB, "Pss": kB, "Private_Dirty": kB} — whatever is readable."""
    mem = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    mem["VmRSS"] = int(line.split()[1])
    except OSError:
        pass
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("Pss", "Private_Dirty"):
                    mem[key] = int(value.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return mem


def base_and_zygote():
    """With keep_collection_base the host's worker child is the base and its
    one child the zygote.  Returns (base pid, zygote pid) or (None, None)."""
    for pid, comm in children_of(os.getpid()):
        kids = children_of(pid)
        if len(kids) == 1 and "tach" in comm:
            return pid, kids[0][0]
    return None, None


def fmt_mem(mem):
    parts = []
    for key in ("VmRSS", "Pss", "Private_Dirty"):
        if key in mem:
            parts.append("%s %.1f MiB" % (key, mem[key] / 1024.0))
    return ", ".join(parts) or "unreadable"


# ------------------------------------------------------------------ the suite

class Suite:
    """The project on disk, the file that is edited, and the outcomes the
    re-collected tests must have."""

    def __init__(self, root, args, edit_file, expected_tests, allowed_failures=()):
        self.root, self.args, self.edit_file = root, args, edit_file
        self.expected_tests = expected_tests  # collected by the arguments, before edits
        self.allowed_failures = set(allowed_failures)
        with open(os.path.join(root, edit_file)) as f:
            self.original = f.read()
        self.edits = 0

    def reset(self):
        """The edited file as generated (each repeat starts from it)."""
        path = os.path.join(self.root, self.edit_file)
        with open(path, "w") as f:
            f.write(self.original)
        old = time.time() - 3600
        os.utime(path, (old, old))

    def edit(self):
        """Rewrite the edited file with one more test of a new name; return
        that test's node id.  Each edit is longer than the last, so that
        bytecode cached for an earlier version (keyed by mtime in seconds
        and size, by CPython and by pytest's assertion rewriter) never
        matches it."""
        self.edits += 1
        name = "test_edited_%d" % self.edits
        with open(os.path.join(self.root, self.edit_file), "w") as f:
            f.write(self.original + "\n\ndef %s():\n    assert %d + 1 == %d  # %s\n"
                    % (name, self.edits, self.edits + 1, "." * self.edits))
        return "%s::%s" % (self.edit_file, name)


def age_tree(root):
    """Set every file's time well in the past: a file written just before a
    worker starts counts as changed since (python_shim/tach_shim/freshness.py),
    which would make every re-collection start a new worker."""
    old = time.time() - 3600
    for dirpath, _, names in os.walk(root):
        for name in names:
            os.utime(os.path.join(dirpath, name), (old, old))


def make_generated(directory, tests, files, python):
    numpy_ok = run_bench.python_has(python, "numpy")
    n = run_bench.generate(directory, tests, files, False, numpy_ok)
    age_tree(directory)
    note = "" if numpy_ok else " (numpy missing for %s: conftest without it, numpy tests skip)" % python
    return Suite(directory, ["-p", "no:cacheprovider"], "test_bench_00.py", n), \
        "%d tests in %d files, run_bench.py's realistic conftest%s" % (n, files, note)


def make_django(directory):
    source = os.path.join(ROOT, "tests", "suites", "django_project")
    shutil.copytree(source, directory, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"),
                    dirs_exist_ok=True)
    age_tree(directory)
    # tach_shim sets Django up before conftest.py when this is set (as the
    # e2e test does); the worker inherits the environment.
    os.environ["DJANGO_SETTINGS_MODULE"] = "djproj.settings"
    return Suite(directory, ["-p", "no:cacheprovider"], "test_orm.py", 6,
                 allowed_failures=["test_a_failure.py::test_failure_text_matches_pytest"]), \
        "tests/suites/django_project (Django set up, tables created before collection)"


def run_all(engine, suite, nodeids, label):
    """Run every test; all must pass (or skip), except the suite's
    deliberate failures."""
    bad = []
    for nodeid in nodeids:
        outcome, message = engine.run(nodeid)
        wanted = ("failed",) if nodeid in suite.allowed_failures else ("passed", "skipped")
        if outcome not in wanted:
            bad.append("%s: %s %s" % (nodeid, outcome, message[:200]))
    check(not bad, "%s: %d of %d re-collected tests did not pass:\n  %s"
          % (label, len(bad), len(nodeids), "\n  ".join(bad[:10])))
    return len(nodeids)


def recollect_step(engine, suite, figures, key, label, one_file, want_reused):
    """One timed re-collection: edits the suite, calls tach_recollect (the
    edited file, or everything) and tach_snapshot, records both under `key`,
    checks `reused` and what was collected; returns the node ids."""
    edited = suite.edit()
    rec_ms, reused = timed(lambda: engine.recollect([suite.edit_file] if one_file else []))
    check(reused == want_reused, "%s: tach_recollect said reused=%d, expected %d (%s)"
          % (label, reused, want_reused, engine.reason() or "no reason given"))
    snap_ms, _ = timed(engine.snapshot)
    figures.add(key, rec_ms, snap_ms)
    return expect_collection(engine, suite, edited, one_file, label)


def expect_collection(engine, suite, edited, only_file, label):
    ids = engine.nodeids()
    errors = engine.collect_errors()
    check(not errors, "%s: collection errors:\n  %s" % (label, "\n  ".join(errors)))
    check(edited in ids, "%s: the edit (%s) was not collected: the old file was used" % (label, edited))
    if only_file:
        check(ids and all(i.startswith(suite.edit_file + "::") for i in ids),
              "%s: collected other files too: %s" % (label, ids[:5]))
    else:
        check(len(ids) == suite.expected_tests + 1,
              "%s: %d tests collected, expected %d" % (label, len(ids), suite.expected_tests + 1))
    return ids


# ------------------------------------------------------------------ the run

def timed(fn):
    start = time.perf_counter()
    value = fn()
    return (time.perf_counter() - start) * 1000.0, value


class Figures:
    def __init__(self):
        self.rows = {}

    def add(self, key, first_ms, snapshot_ms):
        self.rows.setdefault(key, []).append((first_ms, snapshot_ms))

    def total(self, key):
        return [a + b for a, b in self.rows[key]]

    def median(self, key):
        return statistics.median(self.total(key))


ROWS = [
    ("cold", "a) cold start: tach_init(keep_collection_base=1) + snapshot", "init"),
    ("cold_nobase", "a') cold start without a base (keep_collection_base=0)", "init"),
    ("one_reused", "b) one file, reused: tach_recollect([file]) + snapshot", "recollect"),
    ("one_new", "c) one file, new worker (keep_collection_base=0)", "recollect"),
    ("all_reused", "d) everything, reused: tach_recollect(npaths=0) + snapshot", "recollect"),
    ("all_new", "d) everything, new worker (keep_collection_base=0)", "recollect"),
]


def measure(lib, options, suite, repeat, verbose):
    figures = Figures()
    memory = {}
    info = {}
    ran = {"one": 0, "all": 0}
    # Warm-up, not timed: the first start writes the bytecode caches and
    # pulls the worker and the libraries into the page cache.
    Engine(lib, options, keep_base=False).shutdown()
    for r in range(repeat):
        first = r == 0
        suite.reset()
        # a) + b) + d-reused on one engine that keeps its base.
        init_ms, warm = timed(lambda: Engine(lib, options, keep_base=True))
        try:
            check(len(warm.nodeids()) == suite.expected_tests,
                  "cold start: %d tests collected, expected %d" % (len(warm.nodeids()), suite.expected_tests))
            snap_ms, _ = timed(warm.snapshot)
            figures.add("cold", init_ms, snap_ms)
            if first:
                info["isolation"] = "%s (%s)" % (warm.isolation(), warm.isolation_reason())
                info["versions"] = warm.versions()

            ids = recollect_step(warm, suite, figures, "one_reused", "b) one file, reused", True, 1)
            if first:
                ran["one"] = run_all(warm, suite, ids, "b) one file, reused")
                base, zygote = base_and_zygote()
                if base is not None:
                    memory["base"] = (base, memory_of(base))
                    memory["zygote"] = (zygote, memory_of(zygote))

            ids = recollect_step(warm, suite, figures, "all_reused", "d) everything, reused", False, 1)
            if first:
                ran["all"] = run_all(warm, suite, ids, "d) everything, reused")
        finally:
            warm.shutdown()

        # c) + d-new on an engine without a base: each tach_recollect starts
        # a new worker.  Its own start is the cold start without a base.
        init_ms, cold = timed(lambda: Engine(lib, options, keep_base=False))
        try:
            snap_ms, _ = timed(cold.snapshot)
            figures.add("cold_nobase", init_ms, snap_ms)
            ids = recollect_step(cold, suite, figures, "one_new", "c) one file, new worker", True, 0)
            if first:
                info["new_reason"] = cold.reason()
                run_all(cold, suite, ids, "c) one file, new worker")
            recollect_step(cold, suite, figures, "all_new", "d) everything, new worker", False, 0)
        finally:
            cold.shutdown()
        if verbose or repeat > 1:
            print("  repeat %d/%d: %s" % (r + 1, repeat, ", ".join(
                "%s %.0f ms" % (key, figures.total(key)[-1]) for key, _, _ in ROWS)), flush=True)
    return figures, memory, info, ran


def print_table(figures, repeat):
    headers = ("figure", "median ms", "min ms", "of which snapshot ms (median)")
    rows = []
    for key, label, _ in ROWS:
        totals = figures.total(key)
        snaps = [b for _, b in figures.rows[key]]
        rows.append((label, "%.0f" % statistics.median(totals), "%.0f" % min(totals),
                     "%.0f" % statistics.median(snaps)))
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    print("(%d repeat%s; each time includes tach_snapshot, needed before tests run again)"
          % (repeat, "" if repeat == 1 else "s, median and minimum"))
    print()
    one = figures.median("one_new") / figures.median("one_reused")
    every = figures.median("all_new") / figures.median("all_reused")
    print("new worker / reused (medians): one file %.2fx, everything %.2fx" % (one, every))
    print("reused one file / cold start: %.2f; cold start with a base / without: %.2f"
          % (figures.median("one_reused") / figures.median("cold"),
             figures.median("cold") / figures.median("cold_nobase")))


def find_library(build):
    for name in ("libtach.so.0", "libtach.so"):
        path = os.path.join(build, "src", name)
        if os.path.exists(path):
            return path
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"),
                    help="meson build directory holding src/libtach.so.0 and src/tach-worker (default build/)")
    ap.add_argument("--repeat", type=int, default=None, help="repeats of every figure (default 5; 1 with --smoke)")
    ap.add_argument("--tests", type=int, default=None, help="generated tests (default 600; 20 with --smoke)")
    ap.add_argument("--files", type=int, default=None, help="generated test files (default 30; 2 with --smoke)")
    ap.add_argument("--isolation", choices=sorted(ISOLATIONS), default="auto")
    ap.add_argument("--python", default=None,
                    help="interpreter whose environment the worker adopts (default: the library's default); "
                         "also decides whether the conftest imports numpy")
    ap.add_argument("--django", action="store_true", help="tests/suites/django_project instead of the generated suite")
    ap.add_argument("--smoke", action="store_true", help="1 repeat, 20 tests: a quick check that it works")
    ap.add_argument("--keep", metavar="DIR", help="put the suite in DIR and keep it")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each repeat's figures")
    args = ap.parse_args()

    args.repeat = args.repeat or (1 if args.smoke else 5)
    args.tests = args.tests or (20 if args.smoke else 600)
    args.files = min(args.files or (2 if args.smoke else 30), args.tests)
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")

    build = os.path.abspath(args.build)
    lib_path = find_library(build)
    if lib_path is None:
        print("error: no libtach.so.0 under %s/src (--build DIR; run ninja -C build first)" % build,
              file=sys.stderr)
        return 2
    worker = os.environ.get("TACH_WORKER") or os.path.join(build, "src", "tach-worker")
    shim = os.environ.get("TACH_SHIM_DIR") or os.path.join(ROOT, "python_shim")
    if not os.access(worker, os.X_OK):
        print("error: no tach-worker at %s (TACH_WORKER)" % worker, file=sys.stderr)
        return 2
    # Bytecode caches (__pycache__, pytest's rewritten modules) are used as
    # in a real project, unless PYTHONDONTWRITEBYTECODE is set (meson test
    # sets it): then every collection compiles every test file.
    os.environ.pop("PYTEST_ADDOPTS", None)
    probe_python = args.python or "/usr/bin/python3"

    tmp = tempfile.mkdtemp(prefix="tach-recollect-bench-")
    directory = os.path.abspath(args.keep) if args.keep else os.path.join(tmp, "suite")
    try:
        if args.django:
            suite, description = make_django(directory)
        else:
            suite, description = make_generated(directory, args.tests, args.files, probe_python)
        lib = load_library(lib_path)
        options = Options(lib, suite.root, suite.args, args.isolation, args.python, worker, shim)
        print("suite: %s at %s; edited file %s" % (description, suite.root, suite.edit_file))
        print("library %s, worker %s" % (lib_path, worker))
        print("bytecode cache: %s" % ("off (PYTHONDONTWRITEBYTECODE is set): every collection compiles "
                                      "every test file" if os.environ.get("PYTHONDONTWRITEBYTECODE")
                                      else "on (__pycache__ in the suite, as in a real project)"), flush=True)

        figures, memory, info, ran = measure(lib, options, suite, args.repeat, args.verbose)

        python_version, pytest_version = info["versions"]
        print("python %s, pytest %s, isolation %s" % (python_version, pytest_version, info["isolation"]))
        print("re-collected and run once, all as expected: %d tests (one file), %d (everything)"
              % (ran["one"], ran["all"]))
        print("new worker because: %s" % info["new_reason"])
        print()
        print_table(figures, args.repeat)
        if "base" in memory:
            (bpid, bmem), (zpid, zmem) = memory["base"], memory["zygote"]
            print("idle base process (pid %d, parks the pre-collection state): %s" % (bpid, fmt_mem(bmem)))
            print("its zygote (pid %d, after re-collecting one file): %s" % (zpid, fmt_mem(zmem)))
            print("(Private_Dirty: written pages only that process maps — what keeping the base "
                  "costs in RAM; the rest is shared copy-on-write with the zygote or page cache)")
        else:
            print("note: the base process was not found among this process's children")
        if args.smoke:
            print()
            print("OK: the parked state was reused for one file and for everything; "
                  "every re-collected test passed")
        return 0
    except Failure as exc:
        print("FAIL: %s" % exc, file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # --keep DIR lies outside it


if __name__ == "__main__":
    sys.exit(main())
