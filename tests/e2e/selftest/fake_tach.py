#!/usr/bin/env python3
"""A stand-in for the `tach` CLI, built on pytest, for testing the harness.

NOT tach.  It accepts tach's command line, runs `PYTHON -m pytest` with the
plugin in fake_tach_plugin.py (one forked child per test
whatever --isolation says, per-test --timeout), and reports crashes and timeouts the
way tach's JUnit output does (<failure message="crashed: ..."> /
<failure message="timeout: ...">).  It lets compare_with_pytest.py and the
Meson test definitions be exercised before (and independently of) the real
CLI.  Standard library only; pytest must be importable by --python.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv):
    python = sys.executable
    isolation = "auto"
    timeout = None
    forwarded = []
    i = 0
    while i < len(argv):
        a = argv[i]
        name, eq, value = a.partition("=")
        if name in ("--python", "--isolation", "--timeout"):
            if not eq:
                if i + 1 >= len(argv):
                    print("fake_tach: %s needs a value" % name, file=sys.stderr)
                    return 4
                value = argv[i + 1]
                i += 1
            if name == "--python":
                python = value
            elif name == "--isolation":
                isolation = value
            else:
                timeout = value
        else:
            forwarded.append(a)
        i += 1
    if isolation not in ("fork", "none", "auto", "snapshot"):
        print("fake_tach: unknown --isolation %s" % isolation, file=sys.stderr)
        return 4
    # Always one forked child per test, whatever --isolation says: the fake
    # only has to produce tach's outcomes, and a crash must not end the run.
    cmd = [python, "-m", "pytest", "-p", "no:cacheprovider", "-p", "fake_tach_plugin",
           "--fake-tach-fork"]
    if timeout is not None:
        cmd += ["--fake-tach-timeout", timeout]
    cmd += forwarded
    env = dict(os.environ)
    env["PYTHONPATH"] = HERE + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    sys.stdout.flush()
    os.execve(python, cmd, env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
