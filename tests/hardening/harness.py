"""Shared helpers of the hardening checks (standard library only).

Each check builds a small project in a temporary directory, runs the tach
CLI (or a C/ctypes client) over it and checks what it reports, and that no
process or descriptor is left behind.
"""

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
SCRATCH = None  # a directory removed with the case's work directory


class CheckFailed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise CheckFailed(what)
    print("ok:", what)


def write_project(root, files):
    """files: {relative path: text or bytes}."""
    for rel, content in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        mode = "wb" if isinstance(content, bytes) else "w"
        with open(path, mode) as f:
            f.write(content)


class Run:
    def __init__(self, proc, output, junit, elapsed):
        self.returncode = proc.returncode
        self.output = output
        self.junit = junit
        self.elapsed = elapsed

    def outcomes(self):
        """{test name: (outcome, message)} from the JUnit report."""
        if not self.junit or not os.path.exists(self.junit):
            return {}
        out = {}
        for case in ET.parse(self.junit).getroot().iter("testcase"):
            name = case.get("name")
            outcome, message = "passed", ""
            for child in case:
                if child.tag in ("failure", "error"):
                    message = child.get("message") or ""
                    text = message + "\n" + (child.text or "")
                    if message.startswith("crashed"):
                        outcome = "crashed"
                    elif message.startswith("timeout"):
                        outcome = "timeout"
                    else:
                        outcome = "failed" if child.tag == "failure" else "error"
                    message = text
                elif child.tag == "skipped":
                    outcome = "skipped"
            out[name] = (outcome, message)
        return out


def run_tach(tach, cwd, args, env=None, timeout=240, junit=True, stdout_file=None):
    junit_path = tempfile.mkstemp(prefix="junit-", suffix=".xml", dir=SCRATCH)[1] if junit else None
    cmd = [tach] + list(args) + (["--junit-xml", junit_path] if junit_path else [])
    run_env = dict(os.environ)
    run_env.pop("TACH_VERIFY_RESTORE", None)  # speed; restore is verified elsewhere
    if env:
        run_env.update(env)
    start = time.monotonic()
    out = stdout_file if stdout_file is not None else subprocess.PIPE
    proc = subprocess.run(cmd, cwd=cwd, env=run_env, stdout=out, stderr=subprocess.STDOUT,
                          timeout=timeout)
    output = proc.stdout.decode("utf-8", "replace") if proc.stdout is not None else ""
    return Run(proc, output, junit_path, time.monotonic() - start)


def descendants(pid):
    """Pids whose ancestry includes pid (from /proc)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            parents[int(entry)] = ppid
        except (OSError, ValueError, IndexError):
            pass
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier and p not in found}
        found |= frontier
    return found


def processes_with_env(marker):
    """Pids whose environment contains the string `marker` (NAME=value)."""
    needle = marker.encode()
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open("/proc/%s/environ" % entry, "rb") as f:
                if needle in f.read().split(b"\0"):
                    pids.append(int(entry))
        except OSError:
            pass
    return pids


def wait_gone(marker, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = processes_with_env(marker)
        if not left:
            return []
        time.sleep(0.05)
    return processes_with_env(marker)


def main(cases):
    """Runs the case named by argv[1] with argv[2:] as keyword pairs."""
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("case", choices=sorted(cases))
    p.add_argument("--tach")
    p.add_argument("--lib")
    p.add_argument("--client")
    p.add_argument("--keep", action="store_true")
    a = p.parse_args()
    for attr in ("tach", "lib", "client"):
        if getattr(a, attr):
            setattr(a, attr, os.path.abspath(getattr(a, attr)))
    global SCRATCH
    work = tempfile.mkdtemp(prefix="tach-hardening-")
    SCRATCH = tempfile.mkdtemp(prefix="scratch-", dir=work)
    try:
        cases[a.case](a, work)
    except CheckFailed as e:
        print("FAILED:", e)
        print("work directory kept:", work)
        return 1
    except SkipCase as e:
        print("SKIP:", e)
        return SKIP
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    print("all checks passed")
    return 0


class SkipCase(Exception):
    pass
