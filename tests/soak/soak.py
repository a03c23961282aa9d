#!/usr/bin/env python3
"""Soak test: one long tach run over a generated suite of N mixed tests.

    soak.py --tach TACH --python PY [--tests 5000] [--isolation snapshot]
            [--per-module 100] [--rss-slack-mb 5] [--timeout 60]
            [--run-timeout 900] [--workdir DIR] [--keep] [--verify-restore]

Standard library only (any Python 3.8+ runs it; PY is the interpreter tach
embeds and must be able to import pytest).

The generated suite (in a temporary directory, removed unless --keep) has N
tests in modules of --per-module tests, run in position order 1..N.  Each
test is one of (by position):
  - every 200th: runs the `true` program in a subprocess;
  - else every 97th: pytest.skip() (designed skip);
  - else every 89th: a strict xfail that fails (designed xfail);
  - else, in turn: pure computation; allocation of a few MB kept in a local;
    module-global and shared-helper-module mutation; os.environ set; a file
    in tmp_path; an import of a stdlib module that collection did not import.
With per-test isolation (snapshot, fork) the mutating tests also assert
that they start from the pristine state (their module global untouched,
the variable absent from os.environ, the module absent from sys.modules).
No threads, no crashes, no hangs: no worker should ever be replaced.

The conftest writes nothing.  The tests at positions 1, N/2 and N write the
VmRSS of their own process (/proc/self/status; under snapshot isolation the
long-lived worker) to $SOAK_RSS_DIR/rss-<position>: the process's memory is
put back after every test, a file on disk is not.

tach runs once, with --stats and --junit-xml.  The soak fails (exit 1)
unless: tach exits 0; the report has exactly N results; every test passed,
or was skipped / xfailed where designed; no worker was replaced (the
--stats "workers replaced:" figure is 0 and there is no "tach: N workers
replaced" line); the RSS is flat (last <= first + --rss-slack-mb MiB).
It prints a summary: tests, outcomes, wall time, restore time median/p99
(snapshot), the three RSS figures.  Exit 2: the soak could not run; exit 77:
snapshot isolation asked for but this kernel does not support it (per
`tach --doctor`), so the test is skipped.

TACH_VERIFY_RESTORE is removed from tach's environment unless
--verify-restore is given: the soak measures restore times and memory, and
the verification (a full compare after every restore) would dominate both.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

SKIP = 77
SUBPROCESS_EVERY = 200
SKIP_EVERY = 97
XFAIL_EVERY = 89
KINDS = ("compute", "alloc", "globals", "environ", "tmpfile", "import")

# Standard-library modules that neither pytest nor tach's shim import while
# collecting (each test asserts it when isolated, so a wrong pick shows).
LAZY_MODULES = ("colorsys", "fractions", "wave", "sched", "graphlib", "mailbox",
                "ftplib", "poplib", "imaplib", "smtplib", "xml.dom.minidom",
                "netrc", "plistlib", "shelve", "configparser", "filecmp", "sqlite3",
                "statistics", "zipapp", "tabnanny")


_PROBE_CONFTEST = """\
import json, os, sys

def pytest_collection_finish(session):
    with open(os.environ["SOAK_PROBE_OUT"], "w") as f:
        json.dump(sorted(sys.modules), f)
"""


def lazy_modules(python, work, env):
    """LAZY_MODULES less those this environment imports while collecting
    (pytest plugins found here, e.g. pytest-cov, import some of them)."""
    probe = os.path.join(work, "probe")
    os.makedirs(probe)
    with open(os.path.join(probe, "conftest.py"), "w") as f:
        f.write(_PROBE_CONFTEST)
    with open(os.path.join(probe, "test_probe.py"), "w") as f:
        f.write("def test_probe():\n    pass\n")
    out = os.path.join(work, "probe-modules.json")
    probe_env = dict(env, SOAK_PROBE_OUT=out)
    subprocess.run([python, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                   cwd=probe, env=probe_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=120)
    try:
        with open(out) as f:
            loaded = set(json.load(f))
    except (OSError, ValueError):
        raise SoakError("could not learn which modules collection imports (probe failed)")
    modules = tuple(m for m in LAZY_MODULES if m not in loaded)
    if len(modules) < 3:
        raise SoakError("collection here imports almost every module the soak imports lazily")
    return modules


class SoakError(Exception):
    """The soak could not run (as opposed to: tach misbehaved)."""


# ----------------------------------------------------------------- generation


def kind_of(pos):
    if pos % SUBPROCESS_EVERY == 0:
        return "subprocess"
    if pos % SKIP_EVERY == 0:
        return "skip"
    if pos % XFAIL_EVERY == 0:
        return "xfail"
    return KINDS[pos % len(KINDS)]


def expected_outcome(pos):
    return {"skip": "skipped", "xfail": "xfailed"}.get(kind_of(pos), "passed")


def test_name(pos):
    return "test_%06d_%s" % (pos, kind_of(pos))


def rss_positions(n):
    return sorted({1, max(1, n // 2), n})


HELPERS = '''\
"""Shared by the generated soak modules (generated by tests/soak/soak.py)."""
import os

ISOLATED = {isolated!r}   # per-test isolation: assert the pristine state
SHARED = []               # appended to by the "globals" tests
TRUE = {true!r}


def record_rss(pos):
    """Write this process's VmRSS (kB) to $SOAK_RSS_DIR/rss-<pos>."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                kb = int(line.split()[1])
                break
        else:
            raise AssertionError("no VmRSS in /proc/self/status")
    path = os.path.join(os.environ["SOAK_RSS_DIR"], "rss-%d" % pos)
    with open(path, "w") as f:
        f.write("%d %d\\n" % (kb, os.getpid()))
'''

MODULE_HEAD = '''\
"""Generated by tests/soak/soak.py: tests {first}..{last}."""
import importlib
import os
import subprocess
import sys

import pytest

import soak_helpers
from soak_helpers import ISOLATED

CALLS = 0
HISTORY = []
PRESENT_AT_COLLECTION = frozenset(sys.modules)

'''

BODIES = {
    "compute": '''\
    total = sum(i * i for i in range({n}))
    assert total == {square_sum}
    words = sorted(str(i)[::-1] for i in range(200))
    assert len(set(words)) == 200
''',
    "alloc": '''\
    block = bytearray({mb} * 1024 * 1024)
    block[::4096] = b"\\x5a" * len(block[::4096])
    numbers = list(range(100000 + {pos}))
    assert block.count(b"\\x5a") == len(block) // 4096
    assert numbers[-1] == 99999 + {pos}
''',
    "globals": '''\
    global CALLS
    CALLS += 1
    HISTORY.append({pos})
    soak_helpers.SHARED.append({pos})
    if ISOLATED:
        assert CALLS == 1 and HISTORY == [{pos}], (CALLS, HISTORY)
        assert soak_helpers.SHARED == [{pos}], soak_helpers.SHARED
''',
    "environ": '''\
    if ISOLATED:
        assert "SOAK_ENV_PROBE" not in os.environ, os.environ["SOAK_ENV_PROBE"]
    os.environ["SOAK_ENV_PROBE"] = "{pos}"
    os.environ["SOAK_ENV_{pos}"] = "x" * 100
    assert os.environ["SOAK_ENV_PROBE"] == "{pos}"
''',
    "tmpfile": '''\
    path = tmp_path / "data-{pos}.txt"
    path.write_text("line\\n" * {pos})
    assert path.read_text().count("\\n") == {pos}
    assert [p.name for p in tmp_path.iterdir()] == ["data-{pos}.txt"]
''',
    "import": '''\
    name = {module!r}
    assert name not in PRESENT_AT_COLLECTION, name + " was imported at collection: pick another"
    if ISOLATED:
        assert name not in sys.modules, name + " left over from an earlier test"
    module = importlib.import_module(name)
    assert sys.modules[name] is module
''',
    "subprocess": '''\
    done = subprocess.run([soak_helpers.TRUE], check=True)
    assert done.returncode == 0
''',
    "skip": '''\
    pytest.skip("soak: designed skip at {pos}")
''',
    "xfail": '''\
    assert {pos} < 0
''',
}


def gen_test(pos, rss_at, lazy=LAZY_MODULES):
    kind = kind_of(pos)
    lines = []
    if kind == "xfail":
        lines.append('@pytest.mark.xfail(reason="soak: designed xfail at %d", strict=True)\n' % pos)
    lines.append("def %s(%s):\n" % (test_name(pos), "tmp_path" if kind == "tmpfile" else ""))
    if pos in rss_at:
        lines.append("    soak_helpers.record_rss(%d)\n" % pos)
    n = 500 + pos % 1000
    body = BODIES[kind].format(pos=pos, n=n, square_sum=sum(i * i for i in range(n)),
                               mb=2 + pos % 4,
                               module=lazy[(pos // len(KINDS)) % len(lazy)])
    lines.append(body)
    return "".join(lines) + "\n\n"


def generate(root, n, per_module, isolated, lazy=LAZY_MODULES):
    """Write the suite; return the expected outcome per JUnit name."""
    rss_at = set(rss_positions(n))
    with open(os.path.join(root, "pytest.ini"), "w") as f:
        f.write("[pytest]\n# Generated by tests/soak/soak.py\n"
                "xfail_strict = true\n")
    with open(os.path.join(root, "conftest.py"), "w") as f:
        f.write("# Generated by tests/soak/soak.py: writes nothing, does nothing.\n")
    true = shutil.which("true") or "/bin/true"
    with open(os.path.join(root, "soak_helpers.py"), "w") as f:
        f.write(HELPERS.format(isolated=isolated, true=true))
    expected = {}
    modules = (n + per_module - 1) // per_module
    for m in range(modules):
        first = m * per_module + 1
        last = min(n, first + per_module - 1)
        modname = "test_soak_%05d" % m
        parts = [MODULE_HEAD.format(first=first, last=last)]
        for pos in range(first, last + 1):
            parts.append(gen_test(pos, rss_at, lazy))
            expected["%s::%s" % (modname, test_name(pos))] = expected_outcome(pos)
        with open(os.path.join(root, modname + ".py"), "w") as f:
            f.write("".join(parts))
    return expected


# ------------------------------------------------------------------- checking


def outcome_of(testcase):
    outcome = "passed"
    for child in testcase:
        if child.tag in ("failure", "error"):
            return child.tag + ": " + (child.get("message") or "")[:200]
        if child.tag == "skipped":
            outcome = "xfailed" if child.get("type") == "pytest.xfail" else "skipped"
    return outcome


def read_junit(path):
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        raise SoakError("cannot read tach's JUnit report %s: %s" % (path, e))
    results = []
    for tc in root.iter("testcase"):
        key = "%s::%s" % (tc.get("classname") or "", tc.get("name") or "")
        results.append((key, outcome_of(tc)))
    return results


def parse_stats(output):
    stats = {}
    m = re.search(r"^workers replaced:\s*(\d+)", output, re.M)
    stats["replaced"] = int(m.group(1)) if m else None
    m = re.search(r"^tach: (\d+) workers? replaced", output, re.M)
    stats["replaced_note"] = int(m.group(1)) if m else 0
    m = re.search(r"^restore time per test \(.*?\):\s*median (\d+), p90 (\d+), p99 (\d+), "
                  r"max (\d+)(?: \((\d+) restores?\))?", output, re.M)
    if m:
        stats["restore"] = {"median": int(m.group(1)), "p90": int(m.group(2)),
                            "p99": int(m.group(3)), "max": int(m.group(4)),
                            "count": int(m.group(5)) if m.group(5) else None}
    m = re.search(r"^pages restored per test:\s*median (\d+), p99 (\d+), max (\d+)", output, re.M)
    if m:
        stats["pages"] = {"median": int(m.group(1)), "p99": int(m.group(2)), "max": int(m.group(3))}
    m = re.search(r"^total restore time:\s*(.+)$", output, re.M)
    if m:
        stats["restore_total"] = m.group(1).strip()
    m = re.search(r"^isolation:\s*(.+)$", output, re.M)
    if m:
        stats["isolation"] = m.group(1).strip()
    return stats


def read_rss(rss_dir, positions):
    rss = {}
    for pos in positions:
        try:
            with open(os.path.join(rss_dir, "rss-%d" % pos)) as f:
                kb, pid = f.read().split()
            rss[pos] = (int(kb), int(pid))
        except (OSError, ValueError):
            rss[pos] = None
    return rss


# -------------------------------------------------------------------- running


def snapshot_supported(tach, python, cwd, env):
    """False if `tach --doctor` says snapshot isolation is unavailable."""
    try:
        done = subprocess.run([tach, "--doctor", "--python", python], cwd=cwd, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return True  # let the run itself say what is wrong
    m = re.search(r"^snapshot isolation:\s*(.*)$", done.stdout, re.M)
    if m is None:
        return True
    return m.group(1).strip().lower().startswith("supported")


def run_tach(argv, cwd, env, timeout, out_path):
    with open(out_path, "w") as out:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        start = time.monotonic()
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            rc = None
        wall = time.monotonic() - start
    with open(out_path, errors="replace") as f:
        return rc, wall, f.read()


def tail(text, lines=60):
    return "\n".join(text.rstrip("\n").split("\n")[-lines:])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tach", required=True, help="the tach CLI")
    p.add_argument("--python", required=True, help="interpreter with pytest (tach --python)")
    p.add_argument("--tests", type=int, default=5000, help="number of tests (default 5000)")
    p.add_argument("--isolation", default="snapshot", choices=("snapshot", "fork", "auto", "none"))
    p.add_argument("--per-module", type=int, default=100, help="tests per module (default 100)")
    p.add_argument("--rss-slack-mb", type=float, default=5.0,
                   help="flat RSS: last <= first + this many MiB (default 5)")
    p.add_argument("--timeout", type=float, default=60, help="tach --timeout per test (default 60)")
    p.add_argument("--run-timeout", type=float, default=900,
                   help="kill the tach run after this many seconds (default 900)")
    p.add_argument("--workdir", help="generate here (must not exist) instead of a temp dir")
    p.add_argument("--keep", action="store_true", help="keep the generated suite and reports")
    p.add_argument("--verify-restore", action="store_true",
                   help="keep TACH_VERIFY_RESTORE=1 from the environment (slow)")
    args = p.parse_args(argv)
    if args.tests < 3 or args.per_module < 1:
        p.error("--tests must be >= 3 and --per-module >= 1")

    tach = os.path.abspath(args.tach) if os.sep in args.tach else args.tach
    env = dict(os.environ)
    if not args.verify_restore:
        env.pop("TACH_VERIFY_RESTORE", None)

    if args.workdir:
        work = os.path.abspath(args.workdir)
        os.makedirs(work)
    else:
        work = tempfile.mkdtemp(prefix="tach-soak-")
    suite = os.path.join(work, "suite")
    rss_dir = os.path.join(work, "rss")
    basetemp = os.path.join(work, "basetemp")
    os.makedirs(suite)
    os.makedirs(rss_dir)
    env["SOAK_RSS_DIR"] = rss_dir
    keep = args.keep
    try:
        if args.isolation == "snapshot" and not snapshot_supported(tach, args.python, suite, env):
            print("soak: SKIPPED: tach --doctor says snapshot isolation is not supported here")
            return SKIP

        isolated = args.isolation != "none"
        lazy = lazy_modules(args.python, work, env)
        expected = generate(suite, args.tests, args.per_module, isolated, lazy)
        junit = os.path.join(work, "tach.xml")
        # One worker (-n 1): the soak follows a single long-lived runner
        # from its first test to its last (tests/hardening/soak_host.py
        # soaks the host with several).
        cmd = [tach, "--python", args.python, "--isolation", args.isolation, "-n", "1",
               "--timeout", "%g" % args.timeout, "--stats", "--junit-xml", junit,
               "-p", "no:cacheprovider", "--basetemp", basetemp]
        print("soak: %d tests in %s, isolation %s%s" % (
            args.tests, suite, args.isolation,
            ", TACH_VERIFY_RESTORE=%s" % env["TACH_VERIFY_RESTORE"]
            if "TACH_VERIFY_RESTORE" in env else ""))
        print("$ (cd %s && %s)" % (suite, " ".join(cmd)))
        sys.stdout.flush()
        rc, wall, output = run_tach(cmd, suite, env, args.run_timeout,
                                    os.path.join(work, "tach.out"))

        problems = []
        if rc is None:
            problems.append("tach did not finish within %gs (killed)" % args.run_timeout)
        elif rc != 0:
            problems.append("tach exited with status %d (expected 0)" % rc)

        results = []
        if os.path.exists(junit):
            results = read_junit(junit)
        else:
            problems.append("tach wrote no JUnit report")
        if results and len(results) != args.tests:
            problems.append("%d results in the JUnit report, expected %d" % (len(results), args.tests))
        counts = {}
        wrong = []
        seen = set()
        for key, outcome in results:
            counts[outcome.split(":")[0]] = counts.get(outcome.split(":")[0], 0) + 1
            want = expected.get(key)
            if want is None:
                wrong.append("%s: unexpected test (%s)" % (key, outcome))
            elif key in seen:
                wrong.append("%s: reported twice" % key)
            elif outcome != want:
                wrong.append("%s: %s, expected %s" % (key, outcome, want))
            seen.add(key)
        missing = [k for k in expected if k not in seen]
        if results and missing:
            wrong.append("%d tests missing from the report, e.g. %s" % (len(missing), missing[0]))
        if wrong:
            problems.append("%d tests with an unexpected outcome:\n    %s" % (
                len(wrong), "\n    ".join(wrong[:20] + (["..."] if len(wrong) > 20 else []))))

        stats = parse_stats(output)
        if stats["replaced"] is None:
            problems.append("no 'workers replaced:' line in tach's --stats output")
        elif stats["replaced"] != 0:
            problems.append("%d workers replaced (expected none)" % stats["replaced"])
        if stats["replaced_note"]:
            problems.append("tach says: %d workers replaced" % stats["replaced_note"])
        if args.isolation == "snapshot" and "restore" not in stats:
            problems.append("no 'restore time per test' line in tach's --stats output")

        positions = rss_positions(args.tests)
        rss = read_rss(rss_dir, positions)
        first, last = rss[positions[0]], rss[positions[-1]]
        for pos in positions:
            if rss[pos] is None:
                problems.append("test %d recorded no RSS (%s)" % (pos, os.path.join(rss_dir, "rss-%d" % pos)))
        growth_kb = None
        if first is not None and last is not None:
            growth_kb = last[0] - first[0]
            if growth_kb > args.rss_slack_mb * 1024:
                problems.append("RSS not flat: %.1f MiB at test %d, %.1f MiB at test %d "
                                "(+%.1f MiB > %.1f MiB allowed)" % (
                                    first[0] / 1024, positions[0], last[0] / 1024, positions[-1],
                                    growth_kb / 1024, args.rss_slack_mb))
            if args.isolation == "snapshot" and first[1] != last[1]:
                problems.append("tests %d and %d ran in different processes (pid %d, %d): "
                                "the worker was replaced" % (positions[0], positions[-1], first[1], last[1]))

        # --- summary
        print()
        print("soak summary")
        print("  tests:            %d generated, %d results (%s)" % (
            args.tests, len(results),
            ", ".join("%d %s" % (v, k) for k, v in sorted(counts.items())) or "none"))
        print("  isolation:        %s" % stats.get("isolation", args.isolation))
        print("  wall time:        %.1f s (%.2f ms per test)" % (wall, 1000.0 * wall / args.tests))
        if "restore" in stats:
            r = stats["restore"]
            print("  restore time:     median %d us, p90 %d us, p99 %d us, max %d us%s" % (
                r["median"], r["p90"], r["p99"], r["max"],
                " (%d restores)" % r["count"] if r["count"] is not None else ""))
        else:
            print("  restore time:     n/a")
        if "pages" in stats:
            print("  pages restored:   median %(median)d, p99 %(p99)d, max %(max)d" % stats["pages"])
        if "restore_total" in stats:
            print("  total restore:    %s" % stats["restore_total"])
        print("  workers replaced: %s" % stats["replaced"])
        for pos in positions:
            v = rss[pos]
            print("  RSS at test %-6d %s" % (
                pos, "%.1f MiB (%d kB, pid %d)" % (v[0] / 1024, v[0], v[1]) if v else "(not recorded)"))
        if growth_kb is not None:
            print("  RSS growth:       %+.1f MiB (allowed: %.1f MiB)" % (growth_kb / 1024, args.rss_slack_mb))
        print()
        if problems:
            print("SOAK FAILED: %d problem(s):" % len(problems))
            for prob in problems:
                print("  - " + prob)
            print("\n---- tach output (last 60 lines):")
            print(tail(output))
            keep = True
            return 1
        print("SOAK OK")
        return 0
    except SoakError as e:
        print("soak: cannot run: %s" % e, file=sys.stderr)
        keep = True
        return 2
    finally:
        if keep:
            print("soak: kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
