#!/usr/bin/env python3
"""Runs a host-side program under valgrind memcheck and fails on any
memory error or definite leak (docs/hardening.md).

    valgrind_check.py [--expect-exit N] [--cwd DIR] -- PROGRAM ARGS...

The worker it starts is not traced (--trace-children=no): it embeds
CPython, and its restore engine relies on userfaultfd, which valgrind
does not emulate.  Exit 77 (skipped) without valgrind.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import missing_package  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--expect-exit", type=int, default=0)
    p.add_argument("--cwd")
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    a = p.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if cmd and os.path.exists(cmd[0]):
        cmd[0] = os.path.abspath(cmd[0])  # before --cwd applies
    valgrind = shutil.which("valgrind")
    if not valgrind:
        return missing_package.skip_status("valgrind", "valgrind is not installed")
    log = tempfile.NamedTemporaryFile(prefix="valgrind-", suffix=".log", delete=False).name
    full = [valgrind, "--tool=memcheck", "--leak-check=full", "--show-leak-kinds=definite",
            "--errors-for-leak-kinds=definite", "--error-exitcode=99", "--trace-children=no",
            "--child-silent-after-fork=yes", "--log-file=" + log] + cmd
    env = dict(os.environ)
    env.pop("TACH_VERIFY_RESTORE", None)
    proc = subprocess.run(full, cwd=a.cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    out = proc.stdout.decode("utf-8", "replace")
    with open(log) as f:
        report = f.read()
    os.unlink(log)
    print(out[-2000:])
    summary = re.search(r"ERROR SUMMARY: (\d+) errors", report)
    definite = re.search(r"definitely lost: ([\d,]+) bytes", report)
    print("\n".join(l for l in report.splitlines() if "SUMMARY" in l or "lost:" in l or "in use at exit" in l))
    errors = int(summary.group(1)) if summary else -1
    lost = int(definite.group(1).replace(",", "")) if definite else 0
    ok = proc.returncode == a.expect_exit and errors == 0 and lost == 0
    if not ok:
        print(report[-8000:])
        print("FAILED: exit %d (expected %d), %d valgrind errors, %d bytes definitely lost"
              % (proc.returncode, a.expect_exit, errors, lost))
        return 1
    print("valgrind: no memory errors, no definite leaks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
