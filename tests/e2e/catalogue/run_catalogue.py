#!/usr/bin/env python3
"""Run the state catalogue under tach: every test must pass.

    run_catalogue.py --tach TACH --python PY --suite DIR --isolation MODE
                     [--as-user nobody] [--reverse] [--tach-arg ARG ...]
                     [--allow-fail SUBSTR=REASON ...] [-v]

The catalogue (tests/suites/catalogue) holds, for every kind of process
state, pairs of identical tests that assert the pristine state and then
dirty it.  Under per-test isolation every test passes whatever the order;
in one shared process the second of each pair fails (pytest_must_leak.py
proves that).  This script copies the suite to a fresh temporary directory,
runs

    TACH --python PY --isolation MODE --junit-xml X -p no:cacheprovider [NODEIDS]

there, reads the JUnit report, prints a table per kind of state and exits 1
unless every collected test passed (a skip is tolerated and shown: a check
that does not apply on this machine).

Expected worker replacements: the `threads` tests leave a thread running.
Memory cannot be restored in place under a running thread, so in snapshot
mode tach replaces the worker after them; they must still pass, and so must
the test after them (it sees a single thread again).  They are marked
"replaced (expected)" in the table.

--reverse       pass the node ids, as pytest collects them, in reverse order
                (tach, like pytest, runs them in the order given): the "b"
                test of every pair runs before its "a" test.
--as-user NAME  run tach as that user through `setpriv --reuid --regid
                --clear-groups` (needs root).  Not root but already without
                capabilities: tach runs as the current user.  Otherwise the
                test is skipped (exit 77).  The suite copy and the temporary
                directory are made world-writable for that user.
--allow-fail SUBSTR=REASON
                tests whose node id contains SUBSTR may fail; the table shows
                them as "known: REASON".  Use it only for a documented
                limitation, never to hide a regression.

Exit status: 0 all passed, 1 some test did not, 2 the harness could not run,
77 skipped (--as-user without the privilege to switch users).
Standard library only.
"""

import argparse
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from catalogue_common import (FAILING, HarnessError, collect_nodeids, die,  # noqa: E402
                              group, parse_junit, short, suite_kinds, table)

EXPECTED_REPLACED_KINDS = ("threads",)
SKIP = 77


def capabilities_effective():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapEff:"):
                    return int(line.split()[1], 16)
    except OSError:
        pass
    return 0


def user_prefix(name):
    """Command prefix that runs a program as user NAME; None: run as we are."""
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        print("SKIP: no user %r on this machine" % name)
        sys.exit(SKIP)
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if not setpriv:
            print("SKIP: --as-user needs setpriv (util-linux), not found on PATH")
            sys.exit(SKIP)
        return [setpriv, "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid, "--clear-groups"]
    if capabilities_effective() == 0:
        print("note: not root, so not switching to %s; running as uid %d, which is "
              "already unprivileged" % (name, os.geteuid()))
        return None
    print("SKIP: --as-user %s needs root (to switch users) or an unprivileged caller; "
          "this process is uid %d with capabilities %#x" % (name, os.geteuid(), capabilities_effective()))
    sys.exit(SKIP)


def open_up(path):
    """Make a copied tree usable by any user (dirs 0777, files 0666)."""
    for root, dirs, files in os.walk(path):
        os.chmod(root, 0o777)
        for f in files:
            p = os.path.join(root, f)
            os.chmod(p, stat.S_IMODE(os.stat(p).st_mode) | 0o666)


def tach_command(tach):
    if os.sep in tach:
        tach = os.path.abspath(tach)  # tach runs in the suite's copy
    if tach.endswith(".py"):  # a stand-in (tests/e2e/selftest/fake_tach.py)
        return [sys.executable, tach]
    return [tach]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tach", required=True, help="the tach CLI")
    ap.add_argument("--python", required=True, help="interpreter for the tests (has pytest)")
    ap.add_argument("--suite", required=True, help="the catalogue directory")
    ap.add_argument("--isolation", required=True, help="tach --isolation MODE")
    ap.add_argument("--as-user", metavar="NAME", help="run tach as this user (e.g. nobody)")
    ap.add_argument("--reverse", action="store_true", help="run the tests in reverse order")
    ap.add_argument("--tach-arg", action="append", default=[], metavar="ARG",
                    help="one more argument for tach (repeatable; use --tach-arg=-x)")
    ap.add_argument("--allow-fail", action="append", default=[], metavar="SUBSTR=REASON")
    ap.add_argument("--timeout", type=float, default=240, help="limit for the whole tach run (s)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print tach's output")
    args = ap.parse_args()

    suite = os.path.abspath(args.suite)
    if not os.path.isdir(suite):
        die("no such suite directory: %s" % suite)
    allowed = []
    for spec in args.allow_fail:
        substr, eq, reason = spec.partition("=")
        if not eq or not substr or not reason:
            die("--allow-fail wants SUBSTR=REASON, got %r" % spec)
        allowed.append((substr, reason))
    prefix = user_prefix(args.as_user) if args.as_user else None

    tmp = tempfile.mkdtemp(prefix="tach-catalogue-run-")
    try:
        return run(args, suite, tmp, prefix or [], allowed)
    except (HarnessError, subprocess.TimeoutExpired) as exc:
        die(str(exc))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args, suite, tmp, prefix, allowed):
    os.chmod(tmp, 0o777)
    work = os.path.join(tmp, "catalogue")
    shutil.copytree(suite, work, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    open_up(work)
    junit = os.path.join(tmp, "junit.xml")
    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["TMPDIR"] = tmp
    env.pop("PYTEST_ADDOPTS", None)
    if prefix:
        env["HOME"] = tmp

    expected = collect_nodeids(args.python, work, env=env, prefix=prefix)
    cmd = prefix + tach_command(args.tach) + [
        "--python", args.python, "--isolation", args.isolation,
        "--junit-xml", junit, "-p", "no:cacheprovider"] + args.tach_arg
    if args.reverse:
        cmd += ["--"] + list(reversed(expected))
    who = ("as %s " % args.as_user) if prefix else ""
    order = "reversed order" if args.reverse else "collection order"
    print("running %d catalogue tests %sunder tach --isolation %s, %s"
          % (len(expected), who, args.isolation, order))
    if args.verbose:
        print("$ " + " ".join(cmd[:len(cmd) if not args.reverse else cmd.index("--")])
              + (" -- <%d node ids>" % len(expected) if args.reverse else ""))
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=args.timeout)
    elapsed = time.monotonic() - start
    if args.verbose:
        print(proc.stdout)
    if not os.path.exists(junit):
        raise HarnessError("tach exited %d without writing %s; its output:\n%s"
                           % (proc.returncode, junit, proc.stdout[-5000:]))
    if prefix:
        owner = os.stat(junit).st_uid
        wanted = pwd.getpwnam(args.as_user).pw_uid
        if owner != wanted:
            raise HarnessError("the report was written by uid %d, not by %s (uid %d): "
                               "tach did not run as that user" % (owner, args.as_user, wanted))
    cases = parse_junit(junit)
    return report(args, suite, expected, cases, proc, elapsed, allowed)


def allowed_reason(nodeid, allowed):
    for substr, reason in allowed:
        if substr in nodeid:
            return reason
    return None


def report(args, suite, expected, cases, proc, elapsed, allowed):
    problems = []
    by_id = {c.nodeid: c for c in cases}
    missing = [n for n in expected if n not in by_id]
    extra = [c.nodeid for c in cases if c.nodeid not in set(expected)]
    for n in missing:
        problems.append("%s: not in tach's report (did it run?)" % n)
    for n in extra:
        problems.append("%s: in tach's report but pytest does not collect it" % n)
    if args.reverse:
        ran = [c.nodeid for c in cases if c.nodeid in set(expected)]
        if ran != list(reversed(expected))[:len(ran)] and not missing:
            print("note: tach's report lists the tests in another order than the one given")

    rows = []
    known = 0
    for kind, variants in group(cases).items():
        tests = [c for v in variants.values() for c in v]
        passed = [c for c in tests if c.outcome == "passed"]
        skipped = [c for c in tests if c.outcome == "skipped"]
        bad = [c for c in tests if c.outcome in FAILING]
        notes = []
        for c in bad:
            reason = allowed_reason(c.nodeid, allowed)
            if reason:
                known += 1
                notes.append("%s known (%s)" % (c.name.replace("_pristine_then_dirty", ""), reason))
            else:
                problems.append("%s %s: %s" % (c.nodeid, c.outcome.upper(), short(c.message, 200)))
                notes.append("%s %s" % (c.name.replace("_pristine_then_dirty", ""), c.outcome.upper()))
        if skipped:
            notes.append("%d skipped (%s)" % (len(skipped), short(skipped[0].message, 40)))
        if kind in EXPECTED_REPLACED_KINDS and args.isolation in ("snapshot", "auto"):
            notes.append("worker replaced (expected)")
        rows.append((kind, str(len(tests)), str(len(passed)), str(len(bad)),
                     "; ".join(notes) or "ok"))
    for kind in suite_kinds(suite):
        if kind not in group(cases):
            problems.append("kind %s: no test in tach's report" % kind)

    print(table(rows, ("kind", "tests", "passed", "failed", "notes")))
    replaced = [line.strip() for line in proc.stdout.splitlines() if "replac" in line.lower()]
    if replaced:
        print("tach on replacements:")
        for line in replaced[:10]:
            print("  " + line)
    summary = [line for line in proc.stdout.splitlines() if line.strip()][-1:] or ["(no output)"]
    print("tach exit status %d in %.1fs; last line: %s" % (proc.returncode, elapsed, summary[0].strip()))
    if proc.returncode not in (0, 1):
        problems.append("tach exited %d (0 or 1 expected); output:\n%s"
                        % (proc.returncode, proc.stdout[-3000:]))
    elif proc.returncode == 1 and not problems and not known:
        problems.append("tach exited 1 although its report shows no failure")
    elif proc.returncode == 0 and (problems or known):
        problems.append("tach exited 0 although tests failed")

    if problems:
        print()
        print("FAIL: %d problem(s) under --isolation %s:" % (len(problems), args.isolation))
        for p in problems:
            print("  - " + p)
        return 1
    print("OK: all %d catalogue tests passed under --isolation %s%s"
          % (len(cases) - known, args.isolation,
             " (%d known failures allowed)" % known if known else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
