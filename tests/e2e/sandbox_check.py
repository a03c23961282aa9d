#!/usr/bin/env python3
"""tach --sandbox end to end on tests/suites/sandbox.

1. --sandbox (fork, and snapshot where available): all 6 tests pass with
   TACH_SANDBOX_EXPECTED=1 (only `lo`, another network namespace, loopback
   works, the project tree is read-only, tmp_path is writable).
2. The same suite without --sandbox but told it is sandboxed fails exactly
   where the sandbox makes a difference (proves the tests detect it); told
   the truth, it passes.
3. As user `nobody` (when run as root and setpriv exists): --sandbox passes.
4. Where user namespaces are refused (a child user namespace whose
   max_user_namespaces is 0), --sandbox fails with a clear message, exit 4,
   and runs no test.  `tach --doctor` says "sandbox: unavailable" there and
   "available" here.

No test sends traffic to a non-loopback address: the suite checks the
interface list and the namespace inode, and connects to 127.0.0.1 only.

Usage: sandbox_check.py --tach TACH --python PYTHON --suite DIR
"""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys

TESTS = 6


def run(argv, suite, env_extra, prefix=()):
    env = dict(os.environ, **env_extra)
    proc = subprocess.run(list(prefix) + argv, cwd=suite, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout + proc.stderr


def check(condition, what, output):
    if not condition:
        raise AssertionError(what + "\n--- output:\n" + output)
    print("ok:", what, flush=True)


def failed_tests(output):
    return sorted(set(re.findall(r"^FAILED test_sandbox\.py::(\w+)", output, re.M)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tach", required=True)
    p.add_argument("--python", required=True)
    p.add_argument("--suite", required=True)
    args = p.parse_args()
    tach = os.path.abspath(args.tach)
    suite = os.path.abspath(args.suite)
    base = [tach, "--python", args.python, "-p", "no:cacheprovider"]
    host_netns = str(os.stat("/proc/self/ns/net").st_ino)
    env = {"TACH_HOST_NETNS": host_netns}

    try:
        code, doctor = run([tach, "--doctor", "--python", args.python, "-p", "no:cacheprovider"], suite, env)
        line = next((l for l in doctor.splitlines() if l.startswith("sandbox:")), "")
        check(line != "", "tach --doctor has a sandbox line: %s" % line.strip(), doctor)
        if "unavailable" in line:
            code, out = run(base + ["--sandbox"], suite, env)
            check(code == 4 and "sandbox is unavailable" in out and "passed" not in out,
                  "--sandbox where unavailable: clear error, exit 4, no test run", out)
            print("SKIP: the sandbox is unavailable on this machine (%s)" % line.strip())
            return 77
        modes = ["fork"] + (["snapshot"] if re.search(r"auto uses:\s+snapshot", doctor) else [])

        sandboxed = dict(env, TACH_SANDBOX_EXPECTED="1")
        for mode in modes:
            code, out = run(base + ["--sandbox", "--isolation", mode], suite, sandboxed)
            check(code == 0 and "%d passed" % TESTS in out and "isolation: %s" % mode in out,
                  "--sandbox --isolation %s: all %d tests pass" % (mode, TESTS), out)

        host_interfaces = sorted(name for _, name in socket.if_nameindex())
        print("host interfaces (not contacted): %s" % ", ".join(host_interfaces))
        expected = ["test_network_namespace_identity", "test_write_into_project_tree"]
        if host_interfaces != ["lo"]:
            expected.append("test_interfaces")
        else:
            print("note: this machine has only lo; the namespace inode tells the difference")
        code, out = run(base + ["--isolation", "fork"], suite, sandboxed)
        check(code == 1 and failed_tests(out) == sorted(expected),
              "without --sandbox the sandbox checks fail: %s" % ", ".join(sorted(expected)), out)
        code, out = run(base + ["--isolation", "fork"], suite, dict(env, TACH_SANDBOX_EXPECTED="0"))
        check(code == 0 and "%d passed" % TESTS in out, "without --sandbox, told so: all pass", out)

        if os.getuid() == 0 and shutil.which("setpriv"):
            prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "env", "HOME=/tmp"]
            # Only where nobody can run tach and read the suite at all.
            probe = subprocess.run(prefix + [args.python, "-c", "import sys; open(sys.argv[1]).close()",
                                             os.path.join(suite, "test_sandbox.py")],
                                   stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
            version = subprocess.run(prefix + [tach, "--version"], stdin=subprocess.DEVNULL,
                                     capture_output=True, timeout=60)
            if probe.returncode != 0 or version.returncode != 0:
                print("note: user nobody cannot read the suite or run tach here; not checked as nobody")
            else:
                code, out = run(base + ["--sandbox", "--isolation", modes[-1]], suite, sandboxed, prefix)
                check(code == 0 and "%d passed" % TESTS in out,
                      "as user nobody, --sandbox --isolation %s: all pass" % modes[-1], out)
        else:
            print("note: not root or no setpriv: not checked as user nobody")

        if shutil.which("unshare"):
            shell = "echo 0 > /proc/sys/user/max_user_namespaces && exec \"$@\""
            prefix = ["unshare", "-Ur", "sh", "-c", shell, "sh"]
            code, out = run(base + ["--sandbox"], suite, sandboxed, prefix)
            if "max_user_namespaces" in out or "unshare:" in out:
                print("note: cannot make user namespaces unavailable here; refusal not checked")
            else:
                check(code == 4 and "the sandbox is unavailable here" in out and "passed" not in out,
                      "no user namespaces: --sandbox refuses with a clear message, exit 4", out)
                code, out = run([tach, "--doctor", "--python", args.python], suite, env, prefix)
                check("sandbox:" in out and "unavailable" in out.split("sandbox:")[-1],
                      "no user namespaces: tach --doctor says sandbox unavailable", out)
    except AssertionError as e:
        print("FAILED:", e, flush=True)
        return 1
    print("sandbox: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
