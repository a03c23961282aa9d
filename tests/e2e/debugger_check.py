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
import os
import select
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import require, run_guarded, suite_arguments  # noqa: E402


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
        require("42" in seen, "%s: `p x` at the breakpoint prints 42" % isolation, seen)
        run.send("c")
        code, screen = run.finish()
        require(code == 0 and "2 passed" in screen,
                "%s: `c` lets the test finish: 2 passed, exit 0 (got %s)" % (isolation, code), screen)
    finally:
        run.kill()
    # 2. --pdb post-mortem
    run = PtyRun(base + ["--pdb", "test_breakpoint.py::test_fails_for_post_mortem"], suite)
    try:
        seen = run.expect("(Pdb) ")
        require("test_fails_for_post_mortem" in seen and "entering PDB" in seen
                and "AssertionError: y is off by one" in seen,
                "%s: --pdb: the failure, then the post-mortem prompt in the failing test" % isolation, seen)
        run.send("p y")
        seen = run.expect("(Pdb) ")
        require("7" in seen, "%s: `p y` in the post-mortem prints 7" % isolation, seen)
        run.send("q")
        code, screen = run.finish()
        require(code == 1 and "1 failed" in screen and "y is off by one" in screen,
                "%s: `q` ends it; the test is reported failed (exit %s)" % (isolation, code), screen)
    finally:
        run.kill()
    # 3. no terminal: no hang
    proc = subprocess.run(base + ["test_breakpoint.py::test_stops_at_breakpoint"], cwd=suite, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)
    require(proc.returncode == 1 and "BdbQuit" in proc.stdout,
            "%s: without a terminal breakpoint() reads EOF and fails with BdbQuit (exit %s)"
            % (isolation, proc.returncode), proc.stdout + proc.stderr)


def main():
    python, tach, suite = suite_arguments()
    modes = ["fork"]
    doctor = subprocess.run([tach, "--doctor", "--python", python], cwd=suite,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    if "auto uses snapshot" in doctor.stdout or "isolation auto: snapshot" in doctor.stdout or \
            "snapshot (" in doctor.stdout:
        modes.insert(0, "snapshot")
    else:
        print("snapshot isolation unavailable here (tach --doctor): fork mode only")

    def body():
        for mode in modes:
            one_mode(tach, python, suite, mode)

    return run_guarded(body, "debugger relay")


if __name__ == "__main__":
    sys.exit(main())
