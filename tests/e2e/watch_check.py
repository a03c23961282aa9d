#!/usr/bin/env python3
"""tach --watch end to end, on a temporary copy of tests/suites/watch.

1. The first run: 3 passed, then tach waits for changes.
2. A test file is edited so that one of its tests fails: only that file is
   re-run (2 tests, 1 failed; test_other.py is not in the output).
3. A non-test module (mathlib.py) is edited: everything is re-run (3 tests).
4. SIGINT while waiting: tach exits 0 and says it stopped.

Usage: watch_check.py --tach TACH --python PYTHON --suite DIR
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
    args = p.parse_args()

    tmp = tempfile.mkdtemp(prefix="tach-watch-")
    project = os.path.join(tmp, "project")
    shutil.copytree(args.suite, project)
    proc = subprocess.Popen([os.path.abspath(args.tach), "--watch", "--python", args.python,
                             "--isolation", "fork", "-p", "no:cacheprovider"],
                            cwd=project, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    out = Output(proc.stdout)
    try:
        first = out.until(WAITING)
        check(any("3 passed" in l for l in first), "first run: 3 passed", first)

        path = os.path.join(project, "test_math.py")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("add(-1, 1) == 0", "add(-1, 1) == 1"))
        rerun = out.until(WAITING)
        check(any("changed: test_math.py; re-running 1 test file" in l for l in rerun),
              "a test file changed: only it is re-run", rerun)
        check(any("collected 2 items" in l for l in rerun), "the re-run collected that file's 2 tests", rerun)
        check(any("1 failed, 1 passed" in l for l in rerun), "the re-run shows the new failure", rerun)
        check(any("FAILED test_math.py::test_add_negative" in l for l in rerun), "the failing test is named", rerun)
        check(not any("test_other.py" in l for l in rerun), "test_other.py did not run", rerun)

        path = os.path.join(project, "mathlib.py")
        with open(path, "a") as f:
            f.write("\n\ndef sub(a, b):\n    return a - b\n")
        full = out.until(WAITING)
        check(any("changed: mathlib.py; re-running everything" in l for l in full),
              "a non-test module changed: everything is re-run", full)
        check(any("collected 3 items" in l for l in full), "the full re-run collected all 3 tests", full)
        check(any("1 failed, 2 passed" in l for l in full), "the full re-run: 1 failed, 2 passed", full)

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
