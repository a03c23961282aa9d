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
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import require, run_guarded, run as run_command, suite_arguments  # noqa: E402

TESTS = 6


def run(argv, suite, env_extra, prefix=()):
    return run_command(list(prefix) + argv, suite, dict(os.environ, **env_extra), stdin=subprocess.DEVNULL)


def failed_tests(output):
    return sorted(set(re.findall(r"^FAILED test_sandbox\.py::(\w+)", output, re.M)))


def main():
    python, tach, suite = suite_arguments()
    base = [tach, "--python", python, "-p", "no:cacheprovider"]
    host_netns = str(os.stat("/proc/self/ns/net").st_ino)
    env = {"TACH_HOST_NETNS": host_netns}

    def body():
        code, doctor = run([tach, "--doctor", "--python", python, "-p", "no:cacheprovider"], suite, env)
        line = next((l for l in doctor.splitlines() if l.startswith("sandbox:")), "")
        require(line != "", "tach --doctor has a sandbox line: %s" % line.strip(), doctor)
        if "unavailable" in line:
            code, out = run(base + ["--sandbox"], suite, env)
            require(code == 4 and "sandbox is unavailable" in out and "passed" not in out,
                    "--sandbox where unavailable: clear error, exit 4, no test run", out)
            print("SKIP: the sandbox is unavailable on this machine (%s)" % line.strip())
            return 77
        modes = ["fork"] + (["snapshot"] if re.search(r"auto uses:\s+snapshot", doctor) else [])

        sandboxed = dict(env, TACH_SANDBOX_EXPECTED="1")
        for mode in modes:
            code, out = run(base + ["--sandbox", "--isolation", mode], suite, sandboxed)
            require(code == 0 and "%d passed" % TESTS in out and "isolation: %s" % mode in out,
                    "--sandbox --isolation %s: all %d tests pass" % (mode, TESTS), out)

        # The project inside the writable temp area (a CI checkout under
        # /tmp, say) is read-only all the same.
        tmp_parent = tempfile.mkdtemp(prefix="tach-sandbox-")
        try:
            copy = os.path.join(tmp_parent, "suite")
            shutil.copytree(suite, copy, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
            code, out = run(base + ["--sandbox", "--isolation", "fork"], copy, sandboxed)
            require(code == 0 and "%d passed" % TESTS in out,
                    "--sandbox on a copy under %s: all %d tests pass (project read-only there too)"
                    % (tempfile.gettempdir(), TESTS), out)
        finally:
            shutil.rmtree(tmp_parent, ignore_errors=True)

        host_interfaces = sorted(name for _, name in socket.if_nameindex())
        print("host interfaces (not contacted): %s" % ", ".join(host_interfaces))
        expected = ["test_network_namespace_identity", "test_write_into_project_tree"]
        if host_interfaces != ["lo"]:
            expected.append("test_interfaces")
        else:
            print("note: this machine has only lo; the namespace inode tells the difference")
        code, out = run(base + ["--isolation", "fork"], suite, sandboxed)
        require(code == 1 and failed_tests(out) == sorted(expected),
                "without --sandbox the sandbox checks fail: %s" % ", ".join(sorted(expected)), out)
        code, out = run(base + ["--isolation", "fork"], suite, dict(env, TACH_SANDBOX_EXPECTED="0"))
        require(code == 0 and "%d passed" % TESTS in out, "without --sandbox, told so: all pass", out)

        if os.getuid() == 0 and shutil.which("setpriv"):
            prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "env", "HOME=/tmp"]
            # Only where nobody can run tach and read the suite at all.
            probe = subprocess.run(prefix + [python, "-c", "import sys; open(sys.argv[1]).close()",
                                             os.path.join(suite, "test_sandbox.py")],
                                   stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
            version = subprocess.run(prefix + [tach, "--version"], stdin=subprocess.DEVNULL,
                                     capture_output=True, timeout=60)
            if probe.returncode != 0 or version.returncode != 0:
                print("note: user nobody cannot read the suite or run tach here; not checked as nobody")
            else:
                code, out = run(base + ["--sandbox", "--isolation", modes[-1]], suite, sandboxed, prefix)
                require(code == 0 and "%d passed" % TESTS in out,
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
                require(code == 4 and "the sandbox is unavailable here" in out and "passed" not in out,
                        "no user namespaces: --sandbox refuses with a clear message, exit 4", out)
                code, out = run([tach, "--doctor", "--python", python], suite, env, prefix)
                require("sandbox:" in out and "unavailable" in out.split("sandbox:")[-1],
                        "no user namespaces: tach --doctor says sandbox unavailable", out)

    return run_guarded(body, "sandbox")


if __name__ == "__main__":
    sys.exit(main())
