#!/usr/bin/env python3
"""tach --watch end to end, on a temporary copy of tests/suites/watch.

1. The first run: 3 passed, then tach waits for changes.
2. A test file is edited so that one of its tests fails: only that file is
   re-run (2 tests, 1 failed; test_other.py is not in the output), collected
   again in the same worker: conftest.py was not imported again.
3. A non-test module that only the tests import (mathlib.py) is edited:
   everything is re-run in the same worker, with the new mathlib (the
   outcomes change accordingly).
4. A new test file: only it runs, in the same worker.  The same for a test
   module by the suite's python_files (check_*.py, not pytest's default).
5. conftest.py is edited: a new worker (it says why), which imports it again.
6. pytest.ini is edited: a new worker (pytest's configuration changed).
7. SIGINT while waiting: tach exits 0 and says it stopped.

Usage: watch_check.py --tach TACH --python PYTHON --suite DIR [--isolation MODE] [--workers N]
"""
import argparse
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

WAITING = "tach --watch: waiting for changes"


class Output:
    """tach's merged stdout/stderr, line by line, read by a thread."""

    def __init__(self, stream):
        self.lines = queue.Queue()
        self.all = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream):
        for line in iter(stream.readline, ""):
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def until(self, needle, seconds=60):
        """The lines read until one containing `needle` (inclusive)."""
        got = []
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no %r within %ss; read:\n%s" % (needle, seconds, "\n".join(got)))
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError("tach ended before %r; read:\n%s" % (needle, "\n".join(got)))
            got.append(line)
            self.all.append(line)
            if needle in line:
                return got


def check(condition, what, lines):
    if not condition:
        raise AssertionError(what + "\n--- output:\n" + "\n".join(lines))
    print("ok:", what, flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tach", required=True)
    p.add_argument("--python", required=True)
    p.add_argument("--suite", required=True)
    p.add_argument("--isolation", default="fork")
    p.add_argument("--workers", default="1", help="tach -n")
    args = p.parse_args()

    tmp = tempfile.mkdtemp(prefix="tach-watch-")
    project = os.path.join(tmp, "project")
    shutil.copytree(args.suite, project)
    proc = subprocess.Popen([os.path.abspath(args.tach), "--watch", "--python", args.python,
                             "--isolation", args.isolation, "-n", args.workers,
                             "-p", "no:cacheprovider"],
                            cwd=project, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    out = Output(proc.stdout)
    imports_log = os.path.join(project, "conftest_imports.log")

    def conftest_imports():
        with open(imports_log) as f:
            return len(f.read().split())

    def edit(name, old, new):
        path = os.path.join(project, name)
        with open(path) as f:
            text = f.read()
        if old not in text:
            raise AssertionError("%s does not contain %r" % (name, old))
        with open(path, "w") as f:
            f.write(text.replace(old, new))

    same_worker = "tach --watch: collected again in the same worker"
    try:
        first = out.until(WAITING)
        check(any("4 passed" in l for l in first), "first run: 4 passed", first)
        check(conftest_imports() == 1, "the first run imported conftest.py once", first)

        edit("test_math.py", "add(-1, 1) == 0", "add(-1, 1) == 1")
        rerun = out.until(WAITING)
        check(any("changed: test_math.py; re-running 1 test file" in l for l in rerun),
              "a test file changed: only it is re-run", rerun)
        check(any(same_worker in l for l in rerun), "collected again in the same worker", rerun)
        check(conftest_imports() == 1, "conftest.py was not imported again", rerun)
        check(any("collected 2 items" in l for l in rerun), "the re-run collected that file's 2 tests", rerun)
        check(any("1 failed, 1 passed" in l for l in rerun), "the re-run shows the new failure", rerun)
        check(any("FAILED test_math.py::test_add_negative" in l for l in rerun), "the failing test is named", rerun)
        check(not any("test_other.py" in l for l in rerun), "test_other.py did not run", rerun)

        # add() now adds one more: test_add and test_other_add fail, the
        # edited test_add_negative (expects 1) passes.  A stale mathlib
        # would give 1 failed, 3 passed.
        edit("mathlib.py", "return a + b", "return a + b + 1")
        full = out.until(WAITING)
        check(any("changed: mathlib.py; re-running everything" in l for l in full),
              "a non-test module changed: everything is re-run", full)
        check(any(same_worker in l for l in full),
              "mathlib.py is imported by tests only: collected again in the same worker", full)
        check(conftest_imports() == 1, "conftest.py still imported once", full)
        check(any("collected 4 items" in l for l in full), "the full re-run collected all 4 tests", full)
        check(any("2 failed, 2 passed" in l for l in full), "the new mathlib.py is used: 2 failed, 2 passed", full)

        with open(os.path.join(project, "test_new.py"), "w") as f:
            f.write("from mathlib import add\n\n\ndef test_new():\n    assert add(1, 1) == 3\n")
        new = out.until(WAITING)
        check(any("changed: test_new.py; re-running 1 test file" in l for l in new),
              "a new test file: only it is run", new)
        check(any(same_worker in l for l in new), "the new file is collected in the same worker", new)
        check(any("1 passed" in l and "failed" not in l for l in new), "test_new passed", new)

        # check_*.py is a test module by the suite's python_files.
        edit("check_extra.py", '"extra".upper() == "EXTRA"', '"extra".upper() == "EXTRA!"')
        extra = out.until(WAITING)
        check(any("changed: check_extra.py; re-running 1 test file" in l for l in extra),
              "a test module by python_files (check_*.py): only it is re-run", extra)
        check(any(same_worker in l for l in extra), "check_extra.py collected in the same worker", extra)
        check(any("1 failed" in l and "passed" not in l for l in extra), "its edit is seen: 1 failed", extra)
        edit("check_extra.py", '"EXTRA!"', '"EXTRA"')
        extra = out.until(WAITING)
        check(any("1 passed" in l and "failed" not in l for l in extra), "edited back: 1 passed", extra)

        with open(os.path.join(project, "conftest.py"), "a") as f:
            f.write("\n# edited\n")
        fresh = out.until(WAITING)
        check(any("tach --watch: new worker: conftest.py changed since the worker started" in l for l in fresh),
              "conftest.py changed: a new worker, and why", fresh)
        check(conftest_imports() == 2, "the new worker imported conftest.py again", fresh)
        check(any("2 failed, 3 passed" in l for l in fresh), "everything ran in the new worker", fresh)

        with open(os.path.join(project, "pytest.ini"), "a") as f:
            f.write("markers =\n    slow: a slow test\n")
        ini = out.until(WAITING)
        check(any("tach --watch: new worker: pytest's configuration changed" in l for l in ini),
              "pytest.ini changed: a new worker", ini)
        check(conftest_imports() == 3, "which imported conftest.py again", ini)
        check(any("2 failed, 3 passed" in l for l in ini), "everything ran after the ini change", ini)

        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=30)
        rest = out.until("tach --watch: stopped", seconds=5)
        check(code == 0, "Ctrl-C while waiting: exit status 0 (got %s)" % code, rest)
    except AssertionError as e:
        print("FAILED:", e, flush=True)
        return 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print("watch mode: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
