#!/usr/bin/env python3
"""tach's line coverage against coverage.py on tests/fixtures/coverage.

usage: test_coverage_vs_coveragepy.py LIBTACH ISOLATION [SUITE_DIR]

SUITE_DIR defaults to tests/fixtures/coverage; any bundled suite works.

Runs the fixture once under `python -m coverage run -m pytest` (Debian's
python3-coverage) and once through libtach with coverage on (ctypes), each
in its own copy of the fixture, then compares per file:

  * the executable statements (coverage.py: analysis2; tach: executed +
    missing lines of its JSON report),
  * the executed statements (coverage.py: `coverage json`'s executed_lines
    that are statements; tach: its JSON report's executed_lines),
  * the statements each test ran (the JSON report's contexts) against
    coverage.py run on that test alone, less what coverage.py runs while
    only collecting (--collect-only).

Every difference is listed; any difference fails.  Exit 77 (skipped) when
coverage.py is not installed.
"""

import ctypes
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import missing_package  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "fixtures", "coverage")
ISOLATIONS = {"auto": 0, "fork": 1, "none": 2, "snapshot": 3}
FORMAT_JSON = 2


class Options(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("project_root", ctypes.c_char_p),
        ("args", ctypes.POINTER(ctypes.c_char_p)),
        ("nargs", ctypes.c_size_t),
        ("python", ctypes.c_char_p),
        ("isolation", ctypes.c_int),
        ("timeout_seconds", ctypes.c_double),
        ("worker_path", ctypes.c_char_p),
        ("shim_path", ctypes.c_char_p),
        ("coverage", ctypes.c_int),
        ("coverage_sources", ctypes.POINTER(ctypes.c_char_p)),
        ("ncoverage_sources", ctypes.c_size_t),
    ]


def load(path):
    lib = ctypes.CDLL(path)
    lib.tach_errmsg.restype = ctypes.c_char_p
    lib.tach_errmsg.argtypes = [ctypes.c_void_p]
    lib.tach_init.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(Options)]
    lib.tach_snapshot.argtypes = [ctypes.c_void_p]
    lib.tach_test_count.restype = ctypes.c_size_t
    lib.tach_test_count.argtypes = [ctypes.c_void_p]
    lib.tach_test_nodeid.restype = ctypes.c_char_p
    lib.tach_test_nodeid.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    lib.tach_run_test.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.tach_result_outcome.argtypes = [ctypes.c_void_p]
    lib.tach_result_coverage_file_count.restype = ctypes.c_size_t
    lib.tach_result_coverage_file_count.argtypes = [ctypes.c_void_p]
    lib.tach_result_coverage_file.restype = ctypes.c_char_p
    lib.tach_result_coverage_file.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    lib.tach_result_coverage_lines.restype = ctypes.c_size_t
    lib.tach_result_coverage_lines.argtypes = [
        ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.POINTER(ctypes.c_uint32))]
    lib.tach_result_free.argtypes = [ctypes.c_void_p]
    lib.tach_coverage_write.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.tach_shutdown.argtypes = [ctypes.c_void_p]
    return lib


def copy_fixture(parent, name):
    root = os.path.realpath(os.path.join(parent, name))
    source = sys.argv[3] if len(sys.argv) > 3 else FIXTURE
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return root


def run_tach(lib, root, isolation):
    """{nodeid: {path: set(lines)}} and the parsed JSON report."""
    opts = Options()
    # This struct is the second layout (up to the coverage fields), which _v2 fills.
    lib.tach_init_options_init_v2(ctypes.byref(opts))
    assert opts.size == ctypes.sizeof(Options), opts.size
    opts.project_root = root.encode()
    # The interpreter running this script runs coverage.py too: tach runs
    # the tests on it (its worker is picked by version).
    python = sys.executable.encode()
    opts.python = python
    opts.isolation = ISOLATIONS[isolation]
    opts.coverage = 1
    engine = ctypes.c_void_p()
    try:
        if lib.tach_init(ctypes.byref(engine), ctypes.byref(opts)) != 0:
            raise SystemExit("tach_init: " + lib.tach_errmsg(engine).decode())
        if lib.tach_snapshot(engine) != 0:
            raise SystemExit("tach_snapshot: " + lib.tach_errmsg(engine).decode())
        per_test = {}
        for i in range(lib.tach_test_count(engine)):
            nodeid = lib.tach_test_nodeid(engine, i)
            result = ctypes.c_void_p()
            if lib.tach_run_test(engine, nodeid, ctypes.byref(result)) != 0:
                raise SystemExit("tach_run_test: " + lib.tach_errmsg(engine).decode())
            # Failed, skipped and xfailed tests have coverage too; only a
            # crash or a timeout loses it (documented), which these suites
            # do not have.
            if lib.tach_result_outcome(result) in (6, 7):
                raise SystemExit(f"{nodeid.decode()} crashed or timed out under tach")
            files = {}
            for f in range(lib.tach_result_coverage_file_count(result)):
                lines = ctypes.POINTER(ctypes.c_uint32)()
                n = lib.tach_result_coverage_lines(result, f, ctypes.byref(lines))
                files[lib.tach_result_coverage_file(result, f).decode()] = {lines[k] for k in range(n)}
            per_test[nodeid.decode()] = files
            lib.tach_result_free(result)
        report = os.path.join(root, "tach.json")
        if lib.tach_coverage_write(engine, FORMAT_JSON, report.encode(), 1) != 0:
            raise SystemExit("tach_coverage_write: " + lib.tach_errmsg(engine).decode())
        with open(report) as f:
            return per_test, json.load(f)
    finally:
        lib.tach_shutdown(engine)


def run_coveragepy(root, select=None):
    """{relative path: (statements, executed statements, raw executed)}."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    data = os.path.join(root, ".coverage")
    if os.path.exists(data):
        os.unlink(data)
    # The same pytest arguments as tach gets (none): -q would skip hooks such
    # as pytest_report_header, whose lines then differ.
    args = [sys.executable, "-m", "coverage", "run", "--source=.", "-m", "pytest",
            "-p", "no:cacheprovider"] + ([select] if select else [])
    # pytest's exit 1 (some tests failed) still leaves complete data.
    run = subprocess.run(args, cwd=root, env=env, stdout=subprocess.DEVNULL)
    if run.returncode not in (0, 1):
        raise SystemExit(f"coverage run -m pytest failed with exit status {run.returncode}")
    out = os.path.join(root, "coverage.json")
    subprocess.run([sys.executable, "-m", "coverage", "json", "-q", "-o", out], cwd=root, env=env,
                   check=True)
    import coverage

    cov = coverage.Coverage(data_file=data)
    cov.load()
    with open(out) as f:
        report = json.load(f)
    files = {}
    for name, entry in report["files"].items():
        _, statements, _, _, _ = cov.analysis2(os.path.join(root, name))
        statements = set(statements)
        executed = set(entry["executed_lines"])
        files[name] = (statements, executed & statements, executed)
    return files


def differences(label, ours, theirs):
    out = []
    if ours != theirs:
        only_tach = sorted(ours - theirs)
        only_cov = sorted(theirs - ours)
        out.append(f"{label}: only tach {only_tach}, only coverage.py {only_cov}")
    return out


def main():
    if len(sys.argv) not in (3, 4) or sys.argv[2] not in ISOLATIONS:
        raise SystemExit(__doc__)
    try:
        import coverage  # noqa: F401
    except ImportError:
        return missing_package.skip_status("python3-coverage", "coverage.py is not installed")
    lib = load(sys.argv[1])
    problems = []
    with tempfile.TemporaryDirectory(prefix="tach-cov-") as tmp:
        tach_root = copy_fixture(tmp, "tach")
        per_test, tach_report = run_tach(lib, tach_root, sys.argv[2])
        cov_root = copy_fixture(tmp, "cov")
        cov_files = run_coveragepy(cov_root)

        tach_files = tach_report["files"]
        for name in sorted(set(tach_files) | set(cov_files)):
            if name not in tach_files:
                problems.append(f"{name}: reported by coverage.py only")
                continue
            if name not in cov_files:
                problems.append(f"{name}: reported by tach only")
                continue
            t = tach_files[name]
            t_statements = set(t["executed_lines"]) | set(t["missing_lines"])
            c_statements, c_executed, _ = cov_files[name]
            problems += differences(f"{name} statements", t_statements, c_statements)
            problems += differences(f"{name} executed", set(t["executed_lines"]), c_executed)

        # Per test: tach's JSON contexts against coverage.py run on that
        # test alone, less what coverage.py runs while only collecting.  A
        # line run both while collecting and by the test may be in tach's
        # context or not; every other line must agree exactly.
        collect = run_coveragepy(cov_root, "--collect-only")
        for nodeid in sorted(per_test):
            alone = run_coveragepy(cov_root, nodeid)
            for name in sorted(set(alone) | set(tach_files)):
                contexts = tach_files.get(name, {}).get("contexts", {})
                ours = {int(line) for line, names in contexts.items() if nodeid in names}
                theirs = alone.get(name, (set(), set(), set()))[1]
                before = collect.get(name, (set(), set(), set()))[1]
                must = theirs - before
                if not must <= ours or not ours <= theirs:
                    problems.append(f"{nodeid}: {name}: tach {sorted(ours)}, coverage.py "
                                    f"{sorted(must)} (+ maybe {sorted(theirs & before)})")
            # The result's own list (tach_result_coverage_*), mapped the
            # same way, names the same files.
            named = {os.path.relpath(p, tach_root) for p in per_test[nodeid]}
            in_contexts = {name for name, entry in tach_files.items()
                           if any(nodeid in names for names in entry.get("contexts", {}).values())}
            if named != in_contexts:
                problems.append(f"{nodeid}: result files {sorted(named)} but report contexts "
                                f"{sorted(in_contexts)}")

    for p in problems:
        print("DIFFERENCE", p)
    print(f"{len(problems)} difference(s) with coverage.py {coverage.__version__} "
          f"({sys.argv[2]} isolation)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
