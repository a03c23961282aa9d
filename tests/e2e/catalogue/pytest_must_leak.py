#!/usr/bin/env python3
"""Prove that the state catalogue detects leaks: under plain pytest (one
process, no isolation) the catalogue must fail.

    pytest_must_leak.py --python PY --suite DIR [--pairs] [-v]

1. Whole suite: `PY -m pytest -p no:cacheprovider --junit-xml X` in DIR.
   For every kind of state (test_state_<kind>.py), at least one test must
   have FAILED; a kind whose tests all pass in one process detects nothing
   and is reported as useless.  A kind whose tests were all skipped (not
   applicable on this machine, e.g. CPU affinity with one CPU) is reported
   and tolerated.
2. With --pairs, also every variant alone: `PY -m pytest A B` on the
   variant's tests only.  The first must PASS (its pristine check is right
   in a fresh process) and every later one must FAIL (the check sees what
   the first one left).  In the whole-suite run an earlier variant of the
   same kind may already have dirtied the state, so only this proves each
   variant's check on its own.

Exit status: 0 all kinds (and pairs) leak as they should, 1 otherwise,
2 the meta-test could not run.  Standard library only.
"""

import argparse
import concurrent.futures
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from catalogue_common import (FAILING, HarnessError, die, group, parse_junit,  # noqa: E402
                              short, suite_kinds, table)


def pytest_env():
    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTEST_ADDOPTS", None)
    return env


def run_pytest(python, suite, junit, args=(), timeout=300):
    cmd = [python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--junit-xml", junit] + list(args)
    proc = subprocess.run(cmd, cwd=suite, env=pytest_env(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=timeout)
    if proc.returncode not in (0, 1) or not os.path.exists(junit):
        raise HarnessError("%s exited %d (expected 1: some tests fail):\n%s"
                           % (" ".join(cmd), proc.returncode, proc.stdout[-4000:]))
    return proc


def whole_suite(args, tmp):
    junit = os.path.join(tmp, "whole.xml")
    proc = run_pytest(args.python, args.suite, junit)
    if args.verbose:
        print(proc.stdout)
    cases = parse_junit(junit)
    kinds = group(cases)
    declared = suite_kinds(args.suite)
    problems = []
    rows = []
    for kind in declared:
        variants = kinds.get(kind)
        if not variants:
            problems.append("kind %s: no test ran (collection problem?)" % kind)
            rows.append((kind, "-", "-", "NO TESTS"))
            continue
        tests = [c for v in variants.values() for c in v]
        failed = [c for c in tests if c.outcome in FAILING]
        skipped = [c for c in tests if c.outcome == "skipped"]
        if failed:
            verdict = "leaks"
        elif len(skipped) == len(tests):
            verdict = "n/a (all skipped: %s)" % short(skipped[0].message, 50)
        else:
            verdict = "DOES NOT LEAK"
            problems.append("kind %s: every test passed in one process, so its checks detect nothing"
                            % kind)
        rows.append((kind, str(len(tests)), str(len(failed)), verdict))
    for kind in kinds:
        if kind not in declared:
            problems.append("kind %s in the report but no test_state_%s.py" % (kind, kind))
    print("plain pytest, whole suite (%d tests): which kinds leaked" % len(cases))
    print(table(rows, ("kind", "tests", "failed", "verdict")))
    return cases, problems


def one_pair(args, tmp, variant, tests):
    junit = os.path.join(tmp, "pair-%s.xml" % variant)
    run_pytest(args.python, args.suite, junit, [c.nodeid for c in tests], timeout=120)
    got = {c.name: c for c in parse_junit(junit)}
    outcomes = [got[c.name].outcome if c.name in got else "missing" for c in tests]
    if all(o == "skipped" for o in outcomes):
        return outcomes, None, "n/a (skipped)"
    bad = []
    if outcomes[0] != "passed":
        first = got.get(tests[0].name)
        bad.append("first test %s (%s) should pass in a fresh process"
                   % (outcomes[0], short(first.message if first else "", 60)))
    for case, outcome in zip(tests[1:], outcomes[1:]):
        if outcome not in FAILING:
            bad.append("%s %s, should fail after the first one" % (case.name, outcome))
    return outcomes, bad, "leaks" if not bad else "WRONG"


def pairs(args, tmp, cases):
    kinds = group(cases)
    jobs = []
    for kind, variants in kinds.items():
        for variant, tests in variants.items():
            if len(tests) < 2:
                raise HarnessError("variant %s has a single test: a pair is needed" % variant)
            jobs.append((kind, variant, tests))
    problems = []
    rows = []
    workers = max(1, min(len(jobs), args.jobs or os.cpu_count() or 1))
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(one_pair, args, tmp, variant, tests) for _, variant, tests in jobs]
        for (kind, variant, tests), future in zip(jobs, futures):
            outcomes, bad, verdict = future.result()
            rows.append((kind, variant, " ".join(outcomes), verdict))
            for b in bad or ():
                problems.append("variant %s: %s" % (variant, b))
    print()
    print("plain pytest, each variant alone (%d variants)" % len(jobs))
    print(table(rows, ("kind", "variant", "outcomes (a b ...)", "verdict")))
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--python", required=True, help="interpreter that has pytest")
    ap.add_argument("--suite", required=True, help="the catalogue directory")
    ap.add_argument("--pairs", action="store_true", help="also run every variant alone")
    ap.add_argument("--jobs", type=int, default=0, help="parallel pytest runs for --pairs")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    args.suite = os.path.abspath(args.suite)
    if not os.path.isdir(args.suite):
        die("no such suite directory: %s" % args.suite)
    try:
        with tempfile.TemporaryDirectory(prefix="tach-must-leak-") as tmp:
            cases, problems = whole_suite(args, tmp)
            if args.pairs:
                problems += pairs(args, tmp, cases)
    except (HarnessError, subprocess.TimeoutExpired) as exc:
        die(str(exc))
    print()
    if problems:
        print("FAIL: the catalogue does not detect every leak:")
        for p in problems:
            print("  - " + p)
        return 1
    print("OK: every kind of state leaks under plain pytest, so the catalogue detects it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
