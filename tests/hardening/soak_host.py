#!/usr/bin/env python3
"""Host-side soak: N generated tests in one tach run; every result arrives
exactly once, and the host's RSS and descriptor count stay flat.

    soak_host.py --tach TACH [--tests 10000] [--workers 1] [--isolation auto]
                 [--rss-slack-mb 8] [--keep]

--workers W > 1 passes `-n W` to tach (parallel workers).

The suite: modules of 100 tests, by position: every 50th fails, every 37th
is skipped, every 23rd prints a line, every 101st xfails; the rest pass.
While tach runs, this script samples the host process (/proc/PID/status
VmRSS, /proc/PID/fd) every 0.2 s; the tests count is read from the report.
Checks: tach exits 1 (the designed failures); the JUnit report has exactly
N test cases, N distinct names, each with its designed outcome; the host's
RSS at the end is at most --rss-slack-mb above its RSS once 25% of the
wall time has passed (start-up allocations done), and its fd count at the
end equals the count then.  Prints the figures.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET

PER_MODULE = 100


def designed(pos):
    if pos % 50 == 0:
        return "failed"
    if pos % 37 == 0:
        return "skipped"
    if pos % 101 == 0:
        return "xfailed"
    return "passed"


def test_source(pos):
    kind = designed(pos)
    body = {"failed": "    assert %d == -1\n" % pos,
            "skipped": "    pytest.skip('designed skip')\n",
            "xfailed": "    assert False\n",
            "passed": "    assert %d > 0\n" % pos}[kind]
    deco = "@pytest.mark.xfail(strict=True)\n" if kind == "xfailed" else ""
    out = "    print('line from test %d')\n" % pos if pos % 23 == 0 else ""
    return "%sdef test_%05d():\n%s%s\n" % (deco, pos, out, body)


def generate(root, n):
    for start in range(1, n + 1, PER_MODULE):
        with open(os.path.join(root, "test_soak_%05d.py" % start), "w") as f:
            f.write("import pytest\n\n")
            for pos in range(start, min(n, start + PER_MODULE - 1) + 1):
                f.write(test_source(pos))


def sample(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        fds = len(os.listdir("/proc/%d/fd" % pid))
        return rss, fds
    except (OSError, StopIteration):
        return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tach", required=True)
    p.add_argument("--tests", type=int, default=10000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--isolation", default="auto")
    p.add_argument("--rss-slack-mb", type=float, default=4.0)
    p.add_argument("--rss-per-test-kb", type=float, default=1.5,
                   help="allowed growth per test: the CLI keeps a small record per test for the JUnit "
                        "report and the summary")
    p.add_argument("--keep", action="store_true")
    a = p.parse_args()
    tach = os.path.abspath(a.tach)
    work = tempfile.mkdtemp(prefix="tach-soak-host-")
    project = os.path.join(work, "proj")
    os.makedirs(project)
    generate(project, a.tests)
    junit = os.path.join(work, "junit.xml")
    args = [tach, "--isolation", a.isolation, "-q", "-p", "no:cacheprovider", "--junit-xml", junit]
    if a.workers > 1:
        args += ["-n", str(a.workers)]
    env = dict(os.environ)
    env.pop("TACH_VERIFY_RESTORE", None)
    start = time.monotonic()
    out_path = os.path.join(work, "out.txt")
    samples = []
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(args, cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT)
        while proc.poll() is None:
            s = sample(proc.pid)
            if s:
                samples.append((time.monotonic() - start, s[0], s[1]))
            time.sleep(0.2)
        proc.wait()
    wall = time.monotonic() - start
    with open(out_path, "rb") as f:
        tail = f.read()[-3000:].decode("utf-8", "replace")
    failures = []

    def check(cond, what):
        print(("ok: " if cond else "FAILED: ") + what)
        if not cond:
            failures.append(what)

    check(proc.returncode == 1, "tach exits 1 for the designed failures (got %d)" % proc.returncode)
    cases = []
    if os.path.exists(junit):
        for case in ET.parse(junit).getroot().iter("testcase"):
            outcome = "passed"
            for child in case:
                if child.tag == "failure":
                    outcome = "failed"
                elif child.tag == "skipped":
                    outcome = "xfailed" if "xfail" in (child.get("type", "") + child.get("message", "")).lower() else "skipped"
                elif child.tag == "error":
                    outcome = "error"
            cases.append((case.get("name"), outcome))
    names = [n for n, _ in cases]
    check(len(cases) == a.tests, "%d results for %d tests" % (len(cases), a.tests))
    check(len(set(names)) == len(names) == a.tests, "every test reported exactly once (%d distinct)" % len(set(names)))
    wrong = [(n, o) for n, o in cases if n.startswith("test_") and o != designed(int(n[5:]))]
    check(not wrong, "every outcome as designed (%d wrong%s)" % (len(wrong), ": %s" % wrong[:5] if wrong else ""))

    settled = [s for s in samples if s[0] >= wall * 0.25]
    if len(settled) >= 2:
        first, last = settled[0], settled[-1]
        peak = max(s[1] for s in samples)
        print("host: %d samples; at %.1f s RSS %.1f MiB, %d fds; at %.1f s (end) RSS %.1f MiB, %d fds; peak %.1f MiB"
              % (len(samples), first[0], first[1] / 1024, first[2], last[0], last[1] / 1024, last[2], peak / 1024))
        tests_between = a.tests * (last[0] - first[0]) / wall
        allowed = a.rss_slack_mb * 1024 + a.rss_per_test_kb * tests_between
        check(last[1] - first[1] <= allowed,
              "host RSS bounded: +%.2f MiB over ~%d tests (%.2f KiB per test; allowed %.1f MiB)"
              % ((last[1] - first[1]) / 1024, tests_between, (last[1] - first[1]) / max(1, tests_between),
                 allowed / 1024))
        # Descriptors while tests run (50%..90% of the run: every worker's
        # channel is open; before, collection) stay the same, and no more
        # are open at the end (workers being shut down close theirs).
        steady = [s for s in settled if wall * 0.5 <= s[0] <= wall * 0.9] or settled
        print("host fds over the run: %s" % " ".join("%.1fs:%d" % (s[0], s[2]) for s in samples))
        steady_fds = [s[2] for s in steady]
        check(min(steady_fds) == max(steady_fds) and last[2] <= max(steady_fds),
              "host fd count flat: %d..%d from %.1f s to %.1f s, %d at the end"
              % (min(steady_fds), max(steady_fds), steady[0][0], steady[-1][0], last[2]))
    else:
        check(False, "enough host samples (%d)" % len(samples))
    print("soak: %d tests, %d worker(s), %s isolation, wall %.1f s (%.2f ms per test)"
          % (a.tests, a.workers, a.isolation, wall, 1000 * wall / max(1, a.tests)))
    if failures:
        print(tail)
        print("work directory kept:", work)
        return 1
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
