"""Shared helpers of the end-to-end check scripts (standard library only).

A script puts this folder on sys.path relative to its own file:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
    import checks

Two ways to check, one per script:
  - check(): prints "ok"/"FAIL" and goes on, collecting failures; the script
    returns finish() (exit 1 when any check failed);
  - require(): prints "ok:" or stops the script with the output attached;
    the script's body runs under run_guarded(), which turns that stop into
    "FAILED: ..." and exit 1.
"""
import argparse
import collections
import os
import subprocess
import xml.etree.ElementTree as ET

failures = []


def check(condition, what):
    """Prints the check's result; remembers a failed one.  Returns condition."""
    print(("ok    " if condition else "FAIL  ") + what, flush=True)
    if not condition:
        failures.append(what)
    return condition


def finish():
    """The exit status after check()s: 1 (failed ones listed) or 0."""
    if failures:
        print("\n%d check(s) failed:" % len(failures))
        for what in failures:
            print("  " + what)
        return 1
    print("\nall checks passed")
    return 0


class CheckFailed(AssertionError):
    pass


def require(condition, what, output):
    """Prints "ok: what", or stops with `what` and the output that shows why."""
    if not condition:
        raise CheckFailed(what + "\n--- output:\n" + output)
    print("ok:", what, flush=True)


def run_guarded(body, name):
    """Runs body() and returns the exit status: what body returns when not
    None (77 for a skip, say), 1 when a require() (or any AssertionError)
    failed, else 0 after "<name>: all checks passed"."""
    try:
        status = body()
    except AssertionError as e:  # CheckFailed, or a helper's own assertion
        print("FAILED:", e, flush=True)
        return 1
    if status is not None:
        return status
    print("%s: all checks passed" % name)
    return 0


def suite_arguments():
    """Parses --tach TACH --python PYTHON --suite DIR (all required), the
    usage of the checks that run tach on one suite.  Returns (python, tach,
    suite), the last two made absolute."""
    p = argparse.ArgumentParser()
    p.add_argument("--tach", required=True)
    p.add_argument("--python", required=True)
    p.add_argument("--suite", required=True)
    args = p.parse_args()
    return args.python, os.path.abspath(args.tach), os.path.abspath(args.suite)


def run(argv, cwd, env=None, timeout=120, stdin=None):
    """Runs argv in cwd (env: the whole environment, None for ours) and
    returns (exit code, stdout followed by stderr, as text)."""
    proc = subprocess.run(argv, cwd=cwd, env=env, stdin=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr


def junit_cases(path):
    """The testcases of a JUnit file as a Counter of (classname, name)."""
    root = ET.parse(path).getroot()
    return collections.Counter((tc.get("classname", ""), tc.get("name", ""))
                               for tc in root.iter("testcase"))
