"""tach -n N end to end, on small suites written to a temporary directory.

usage: parallel_check.py --tach TACH --fixtures TESTS/FIXTURES [-v]

Checks, each of which fails without the feature it names:
- concurrency: the rendezvous tests of tests/fixtures/parallel pass with
  -n 2 and fail with -n 1 (each waits for its partner to run at once);
- the durations cache: written after a run (.tach/durations.json and a
  .gitignore), read back by the next run, which then starts the longest
  tests first ($TACH_DISPATCH_LOG lists the start order); a corrupt cache
  is ignored (collection order, exit 0) and rewritten;
- stable output: -v lines and JUnit XML test cases come in collection order
  whichever test finished first, identical across runs with different
  start orders;
- -x with -n 2 stops the run: not every test is started;
- a terminal gets a live progress line redrawn in place; a pipe does not;
- Ctrl-C (SIGINT) with -n 2 stops every worker: exit 2, no worker left;
- --cov with -n 2 measures the same lines as with -n 1.
Stdlib only.
"""

import argparse
import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

FAILURES = []


def check(cond, what, detail=""):
    if cond:
        print(f"ok: {what}")
    else:
        print(f"FAIL: {what}\n{detail}")
        FAILURES.append(what)


def run(tach, cwd, *args, env=None, timeout=120):
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run([tach, *args], cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=timeout)
    return proc


# Tests whose durations differ clearly: 'slow' takes longest, then 'mid'.
TIMED_SUITE = '''
import time

def test_a_fast():
    pass

def test_b_mid():
    time.sleep(0.15)

def test_c_fast():
    pass

def test_d_slow():
    time.sleep(0.4)

def test_e_fails():
    assert 1 == 2

def test_f_fast():
    pass
'''

SLOW_SUITE = '''
import time
import pytest

@pytest.mark.parametrize("i", range(8))
def test_sleeps(i):
    time.sleep(3)
'''

COVERED_MODULE = '''
def branch(x):
    if x > 0:
        return "positive"
    if x < 0:
        return "negative"
    return "zero"
'''

COVERED_TESTS = '''
from covered import branch

def test_positive():
    assert branch(1) == "positive"

def test_negative():
    assert branch(-1) == "negative"

def test_zero():
    assert branch(0) == "zero"
'''

INI = "[pytest]\naddopts = -p no:cacheprovider\n"


def write_suite(root, files):
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "pytest.ini"), "w") as f:
        f.write(INI)
    for name, text in files.items():
        with open(os.path.join(root, name), "w") as f:
            f.write(text)


def verbose_lines(output):
    """The -v progress lines: 'test_x.py::name PASSED ...' in print order."""
    return [m.group(1) for m in re.finditer(r"^(\S+::\S+) (?:PASSED|FAILED|SKIPPED|XFAIL|XPASS|ERROR)",
                                            output, re.M)]


def check_concurrency(tach, fixtures, tmp):
    suite = os.path.join(fixtures, "parallel")
    meet = os.path.join(tmp, "meet-2")
    os.makedirs(meet)
    p = run(tach, suite, "-n", "2", "-q", env={"TACH_RENDEZVOUS_DIR": meet, "TACH_RENDEZVOUS_SECONDS": "20"})
    check(p.returncode == 0 and "3 passed" in p.stdout, "-n 2: the rendezvous tests meet (they ran at once)",
          p.stdout + p.stderr)
    meet = os.path.join(tmp, "meet-1")
    os.makedirs(meet)
    p = run(tach, suite, "-n", "1", "-q", env={"TACH_RENDEZVOUS_DIR": meet, "TACH_RENDEZVOUS_SECONDS": "1"})
    check(p.returncode == 1 and "never came" in p.stdout, "-n 1: the rendezvous fails (one test at a time)",
          p.stdout + p.stderr)
    shutil.rmtree(os.path.join(suite, ".tach"), ignore_errors=True)


def check_cache_and_order(tach, tmp):
    root = os.path.join(tmp, "timed")
    write_suite(root, {"test_timed.py": TIMED_SUITE})
    collection = [f"test_timed.py::test_{n}" for n in
                  ("a_fast", "b_mid", "c_fast", "d_slow", "e_fails", "f_fast")]
    log = os.path.join(tmp, "dispatch.log")
    cache = os.path.join(root, ".tach", "durations.json")
    junit1 = os.path.join(tmp, "first.xml")
    junit2 = os.path.join(tmp, "second.xml")

    p1 = run(tach, root, "-n", "2", "-v", f"--junit-xml={junit1}", env={"TACH_DISPATCH_LOG": log})
    first_order = open(log).read().split()
    check(p1.returncode == 1, "first run: exit 1 (one test fails)", p1.stdout + p1.stderr)
    check(first_order == collection, "nothing remembered: tests start in collection order", str(first_order))
    check(os.path.isfile(cache), "the durations cache is written", p1.stdout)
    check(os.path.isfile(os.path.join(root, ".tach", ".gitignore")), "the cache directory ignores itself in git")
    data = json.load(open(cache))
    check(data.get("version") == 1 and set(data.get("durations", {})) == set(collection),
          "the cache holds every test's duration", json.dumps(data))
    check(data["durations"]["test_timed.py::test_d_slow"] > data["durations"]["test_timed.py::test_b_mid"]
          > data["durations"]["test_timed.py::test_a_fast"], "remembered durations rank the tests",
          json.dumps(data))

    p2 = run(tach, root, "-n", "2", "-v", f"--junit-xml={junit2}", "--stats", env={"TACH_DISPATCH_LOG": log})
    second_order = open(log).read().split()
    check(second_order[:2] == ["test_timed.py::test_d_slow", "test_timed.py::test_b_mid"],
          "second run: the longest tests start first", str(second_order))
    check(sorted(second_order) == sorted(collection), "second run: every test started once", str(second_order))
    check("start order: 6 of 6 tests by remembered duration" in p2.stdout, "--stats says how the order was chosen",
          p2.stdout)
    check("workers: 2" in p2.stdout, "--stats names the worker count", p2.stdout)

    # The output does not depend on the start order.
    check(verbose_lines(p1.stdout) == collection and verbose_lines(p2.stdout) == collection,
          "-v lines come in collection order in both runs", p1.stdout + "\n----\n" + p2.stdout)
    for path in (junit1, junit2):
        cases = [f"{c.get('classname')}.{c.get('name')}" for c in ET.parse(path).getroot().iter("testcase")]
        check(cases == [f"test_timed.{n.split('::')[1]}" for n in collection],
              f"JUnit XML lists the tests in collection order ({os.path.basename(path)})", str(cases))

    # A corrupt cache is no cache: collection order, and it is rewritten.
    with open(cache, "w") as f:
        f.write('{"version": 1, "durations": {"test_timed.py::test_d_slow": ')
    p3 = run(tach, root, "-n", "2", "-q", env={"TACH_DISPATCH_LOG": log})
    check(p3.returncode == 1 and "Traceback" not in p3.stderr, "a corrupt cache does not break the run",
          p3.stdout + p3.stderr)
    check(open(log).read().split() == collection, "a corrupt cache is ignored (collection order)",
          open(log).read())
    check(set(json.load(open(cache))["durations"]) == set(collection), "a corrupt cache is rewritten")
    # A cache that cannot be written is no error either.
    shutil.rmtree(os.path.join(root, ".tach"))
    with open(os.path.join(root, ".tach"), "w") as f:
        f.write("a file where the cache directory would go\n")
    p4 = run(tach, root, "-n", "2", "-q")
    check(p4.returncode == 1 and "1 failed, 5 passed" in p4.stdout, "an unwritable cache is ignored",
          p4.stdout + p4.stderr)


def check_maxfail(tach, tmp):
    root = os.path.join(tmp, "maxfail")
    files = {"test_many.py": "import time\n\ndef test_fails():\n    assert False\n\n" +
             "".join(f"def test_after_{i}():\n    time.sleep(0.2)\n\n" for i in range(12))}
    write_suite(root, files)
    p = run(tach, root, "-n", "2", "-x", "-q")
    m = re.search(r"(\d+) passed", p.stdout)
    passed = int(m.group(1)) if m else 0
    check(p.returncode == 1 and "stopping after 1 failures" in p.stdout and "1 failed" in p.stdout,
          "-x with -n 2: exit 1 and pytest's stop line", p.stdout + p.stderr)
    check(passed < 12, f"-x with -n 2: outstanding tests are not started ({passed} of 12 ran)", p.stdout)


def run_in_pty(argv, cwd, env, timeout=60, interrupt_after=None):
    """Runs argv on a pseudo-terminal; returns (exit code, output bytes)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(cwd)
        os.execvpe(argv[0], argv, env)
    output = b""
    deadline = time.monotonic() + timeout
    sent = False
    start = time.monotonic()
    while time.monotonic() < deadline:
        if interrupt_after is not None and not sent and time.monotonic() - start > interrupt_after:
            os.kill(pid, signal.SIGINT)
            sent = True
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output


def check_progress_line(tach, tmp):
    root = os.path.join(tmp, "progress")
    write_suite(root, {"test_slowish.py": "import time\nimport pytest\n\n@pytest.mark.parametrize('i', range(6))\n"
                                           "def test_wait(i):\n    time.sleep(0.3)\n"})
    env = dict(os.environ, COLUMNS="100", TERM="xterm")
    env.pop("CI", None)
    code, out = run_in_pty([tach, "-n", "2"], root, env)
    text = out.decode("utf-8", "replace")
    check(code == 0, "on a terminal: the run passes", text)
    check(re.search(r"\r\[\s*\d/6\] 0 failed, [0-9.]+s, 2 workers\x1b\[K", text) is not None,
          "on a terminal: a progress line redrawn in place", repr(text))
    check("6 passed" in text, "on a terminal: the summary follows", text)
    p = run(tach, root, "-n", "2")
    check("\x1b[K" not in p.stdout and "workers" not in p.stdout and "test_slowish.py ......" in p.stdout,
          "not a terminal: plain progress, no redrawn line", repr(p.stdout))


def tach_processes(marker):
    """Processes whose environment names `marker` (our tach and workers)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


def check_interrupt(tach, tmp):
    root = os.path.join(tmp, "interrupt")
    write_suite(root, {"test_slow.py": SLOW_SUITE})
    marker = f"TACH_PARALLEL_CHECK_{os.getpid()}"
    env = dict(os.environ, COLUMNS="100", TERM="xterm", **{marker: "1"})
    code, out = run_in_pty([tach, "-n", "2", "-v"], root, env, interrupt_after=4.5)
    text = out.decode("utf-8", "replace")
    check(code == 2, "Ctrl-C with -n 2: exit 2 (interrupted)", text)
    check("KeyboardInterrupt" in text, "Ctrl-C with -n 2: pytest's KeyboardInterrupt report", text)
    ran = len(re.findall(r"::test_sleeps\[\d\] PASSED", text))
    check(ran < 8, f"Ctrl-C with -n 2: no new test starts after it ({ran} of 8 ran)", text)
    time.sleep(0.5)
    left = tach_processes(marker)
    check(not left, "Ctrl-C with -n 2: no tach or worker process is left", str(left))


def check_coverage(tach, tmp):
    root = os.path.join(tmp, "coverage")
    write_suite(root, {"covered.py": COVERED_MODULE, "test_covered.py": COVERED_TESTS})
    reports = {}
    for n in ("1", "2"):
        out = os.path.join(tmp, f"cov-{n}.json")
        p = run(tach, root, "-n", n, "-q", "--cov=.", f"--cov-report=json:{out}")
        check(p.returncode == 0, f"--cov with -n {n}: the run passes", p.stdout + p.stderr)
        files = json.load(open(out)).get("files", {})
        reports[n] = {name: sorted(f.get("executed_lines", [])) for name, f in files.items()}
    check(reports["1"] == reports["2"] and reports["2"].get("covered.py"),
          "--cov with -n 2 merges every worker's lines (same as -n 1)", json.dumps(reports))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tach", required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--only", action="append", default=[])
    args = ap.parse_args()
    tach = os.path.abspath(args.tach)
    checks = {
        "concurrency": lambda tmp: check_concurrency(tach, args.fixtures, tmp),
        "cache": lambda tmp: check_cache_and_order(tach, tmp),
        "maxfail": lambda tmp: check_maxfail(tach, tmp),
        "progress": lambda tmp: check_progress_line(tach, tmp),
        "interrupt": lambda tmp: check_interrupt(tach, tmp),
        "coverage": lambda tmp: check_coverage(tach, tmp),
    }
    with tempfile.TemporaryDirectory(prefix="tach-parallel-") as tmp:
        for name, fn in checks.items():
            if args.only and name not in args.only:
                continue
            os.makedirs(os.path.join(tmp, name))
            fn(os.path.join(tmp, name))
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed: " + "; ".join(FAILURES))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
