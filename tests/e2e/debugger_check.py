#!/usr/bin/env python3
"""breakpoint() and --pdb through tach's debugger relay, on a pseudo-terminal.

For each isolation mode (snapshot where available, fork):
1. `tach test_breakpoint.py -k breakpoint or after` on a pty: the pdb prompt
   appears; `p x` prints 42; `c` lets the test pass (2 passed).
2. `tach --pdb -k post_mortem`: the failing test enters post-mortem pdb at the
   failing frame; `p y` prints 7; `q` ends it; the test is reported failed.
3. Without a terminal (stdin /dev/null, stdout a pipe): breakpoint() does not
   hang; pdb reads EOF and the test fails with BdbQuit.

Usage: debugger_check.py --tach TACH --python PYTHON --suite DIR
"""
import argparse
import os
import select
import signal
import subprocess
import sys
import time


class PtyRun:
    def __init__(self, argv, cwd):
        self.master, slave = os.openpty()
        self.proc = subprocess.Popen(argv, cwd=cwd, stdin=slave, stdout=slave, stderr=slave,
                                     start_new_session=True, env=dict(os.environ, COLUMNS="80"))
        os.close(slave)
        self.text = ""

    def expect(self, needle, seconds=60):
        deadline = time.monotonic() + seconds
        while needle not in self.text:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no %r within %ss; screen so far:\n%s" % (needle, seconds, self.text))
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    data = os.read(self.master, 4096)
                except OSError:  # EIO: the other side closed
                    data = b""
                if not data:
                    raise AssertionError("tach ended before %r; screen:\n%s" % (needle, self.text))
                self.text += data.decode("utf-8", "replace")
        index = self.text.index(needle) + len(needle)
        seen, self.text = self.text[:index], self.text[index:]
        return seen

    def send(self, line):
        os.write(self.master, (line + "\n").encode())

    def finish(self, seconds=60):
        rest = ""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    data = os.read(self.master, 4096)
                except OSError:
                    data = b""
                if not data:
                    break
                rest += data.decode("utf-8", "replace")
            elif self.proc.poll() is not None:
                break
        code = self.proc.wait(timeout=max(1, deadline - time.monotonic()))
        os.close(self.master)
        return code, self.text + rest

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def check(condition, what, screen):
    if not condition:
        raise AssertionError(what + "\n--- screen:\n" + screen)
    print("ok:", what, flush=True)


def one_mode(tach, python, suite, isolation):
    base = [tach, "--python", python, "--isolation", isolation, "-p", "no:cacheprovider"]
    # 1. breakpoint()
    run = PtyRun(base + ["--timeout", "3", "test_breakpoint.py::test_stops_at_breakpoint",
                         "test_breakpoint.py::test_after"], suite)
    try:
        run.expect("(Pdb) ")
        time.sleep(4)  # longer than --timeout: the timeout is lifted at the prompt
        run.send("p x")
        seen = run.expect("(Pdb) ")
        check("42" in seen, "%s: `p x` at the breakpoint prints 42" % isolation, seen)
        run.send("c")
        code, screen = run.finish()
        check(code == 0 and "2 passed" in screen,
              "%s: `c` lets the test finish: 2 passed, exit 0 (got %s)" % (isolation, code), screen)
    finally:
        run.kill()
    # 2. --pdb post-mortem
    run = PtyRun(base + ["--pdb", "test_breakpoint.py::test_fails_for_post_mortem"], suite)
    try:
        seen = run.expect("(Pdb) ")
        check("test_fails_for_post_mortem" in seen and "entering PDB" in seen
              and "AssertionError: y is off by one" in seen,
              "%s: --pdb: the failure, then the post-mortem prompt in the failing test" % isolation, seen)
        run.send("p y")
        seen = run.expect("(Pdb) ")
        check("7" in seen, "%s: `p y` in the post-mortem prints 7" % isolation, seen)
        run.send("q")
        code, screen = run.finish()
        check(code == 1 and "1 failed" in screen and "y is off by one" in screen,
              "%s: `q` ends it; the test is reported failed (exit %s)" % (isolation, code), screen)
    finally:
        run.kill()
    # 3. no terminal: no hang
    proc = subprocess.run(base + ["test_breakpoint.py::test_stops_at_breakpoint"], cwd=suite, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)
    check(proc.returncode == 1 and "BdbQuit" in proc.stdout,
          "%s: without a terminal breakpoint() reads EOF and fails with BdbQuit (exit %s)"
          % (isolation, proc.returncode), proc.stdout + proc.stderr)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tach", required=True)
    p.add_argument("--python", required=True)
    p.add_argument("--suite", required=True)
    args = p.parse_args()
    tach = os.path.abspath(args.tach)
    suite = os.path.abspath(args.suite)
    modes = ["fork"]
    doctor = subprocess.run([tach, "--doctor", "--python", args.python], cwd=suite,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    if "auto uses snapshot" in doctor.stdout or "isolation auto: snapshot" in doctor.stdout or \
            "snapshot (" in doctor.stdout:
        modes.insert(0, "snapshot")
    else:
        print("snapshot isolation unavailable here (tach --doctor): fork mode only")
    try:
        for mode in modes:
            one_mode(tach, args.python, suite, mode)
    except AssertionError as e:
        print("FAILED:", e, flush=True)
        return 1
    print("debugger relay: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
