#!/usr/bin/env python3
"""Resource limits and descriptor hygiene of the tach CLI.

    limits_check.py memory-fork|memory-snapshot|memory-bad-size|worker-fds --tach TACH

memory-*: --max-worker-memory 300M over a suite with two memory bombs
  (one 1 GiB allocation, and 16 MiB chunks kept up to 2 GiB): both fail
  with MemoryError instead of taking the machine's memory, and the tests
  before, between and after them pass.  Without the limit the bombs would
  succeed and their final `assert False` would say so.
memory-bad-size: a malformed size is a usage error (exit 4) naming it.
worker-fds: tach is started with an extra descriptor open without
  FD_CLOEXEC (as a careless parent would leave it); a test lists the
  descriptors of every worker process between itself and the host: none
  is the host's (the marker file, the host's sockets and files), only
  stdin/stdout/stderr, the socket and the traceback memfd came from the
  host.  Checked in fork and snapshot isolation.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SkipCase, check, main, run_tach, write_project  # noqa: E402

BOMBS = {
    "test_bombs.py": '''
GIB = 1 << 30
MIB = 1 << 20

def test_a_before():
    assert sum(range(100)) == 4950

def test_b_one_huge_allocation():
    block = bytearray(GIB)
    assert False, "allocated 1 GiB: the memory limit is not enforced"

def test_c_between():
    assert len(bytearray(10 * MIB)) == 10 * MIB

def test_d_gradual():
    kept = []
    for _ in range(128):                 # up to 2 GiB, 16 MiB at a time
        kept.append(bytearray(16 * MIB))
    assert False, "kept 2 GiB: the memory limit is not enforced"

def test_e_after():
    assert len(bytearray(50 * MIB)) == 50 * MIB
''',
}


def memory_case(isolation):
    def case(a, work):
        write_project(work, BOMBS)
        run = run_tach(a.tach, work, ["--isolation", isolation, "--max-worker-memory", "300M", "-p",
                                      "no:cacheprovider"])
        if isolation == "snapshot" and run.returncode == 4 and "snapshot" in run.output:
            raise SkipCase("snapshot isolation unavailable here")
        got = run.outcomes()
        print(run.output[-3000:])
        check(len(got) == 5, "five results: %s" % sorted(got))
        for name in ("test_a_before", "test_c_between", "test_e_after"):
            check(got[name][0] == "passed", "%s passed (%s)" % (name, got[name][0]))
        for name in ("test_b_one_huge_allocation", "test_d_gradual"):
            outcome, message = got[name]
            check(outcome == "failed" and "MemoryError" in message,
                  "%s failed with MemoryError (got %s: %s)" % (name, outcome, message[:200]))
        check("workers replaced" not in run.output or isolation != "fork",
              "no worker replaced in fork mode")
        check(run.returncode == 1, "exit status 1 (got %d)" % run.returncode)
    return case


def memory_bad_size(a, work):
    write_project(work, {"test_x.py": "def test_x():\n    pass\n"})
    for bad in ("lots", "2X", "1.5G", "-1"):
        run = run_tach(a.tach, work, ["--max-worker-memory", bad], junit=False)
        check(run.returncode == 4, "--max-worker-memory %s: usage error, exit 4 (got %d)" % (bad, run.returncode))
        check("invalid size '%s'" % bad in run.output, "the message names the bad size: %s" % run.output.strip())
    run = run_tach(a.tach, work, ["--max-worker-memory", "1M"], junit=False)
    check(run.returncode != 0 and "max_worker_memory" in run.output and "at least" in run.output,
          "a limit too small to start Python is refused clearly: %s" % run.output.strip()[-300:])


FD_LISTER = '''
import json, os

def targets(pid):
    out = {}
    d = "/proc/%d/fd" % pid
    for fd in os.listdir(d):
        try:
            out[int(fd)] = os.readlink(os.path.join(d, fd))
        except OSError:
            pass
    return out

def ppid(pid):
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    return int(s[s.rindex(")") + 2:].split()[1])

def comm(pid):
    with open("/proc/%d/comm" % pid) as f:
        return f.read().strip()

def test_list_fds():
    chain, pid = [], os.getpid()
    while comm(pid) != "tach":
        chain.append(pid)
        pid = ppid(pid)
        assert pid > 1, "the tach host is not an ancestor"
    report = {"host": targets(pid), "workers": {str(p): targets(p) for p in chain}}
    with open(os.environ["FD_REPORT"], "w") as f:
        json.dump(report, f)
'''


def worker_fds(a, work):
    write_project(work, {"test_fds.py": FD_LISTER})
    marker = os.path.join(work, "host-marker.txt")
    for isolation in ("fork", "snapshot"):
        report_path = os.path.join(work, "fds-%s.json" % isolation)
        # Inheritable (tach gets it without FD_CLOEXEC), and above the
        # numbers the worker's own descriptors get.
        low = os.open(marker, os.O_RDWR | os.O_CREAT)
        fd = os.dup2(low, 57)
        os.close(low)
        try:
            import subprocess
            env = dict(os.environ, FD_REPORT=report_path)
            env.pop("TACH_VERIFY_RESTORE", None)
            proc = subprocess.run([a.tach, "--isolation", isolation, "-p", "no:cacheprovider"], cwd=work,
                                  env=env, pass_fds=(fd,), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  timeout=120)
        finally:
            os.close(fd)
        output = proc.stdout.decode("utf-8", "replace")
        if isolation == "snapshot" and proc.returncode == 4:
            print("snapshot isolation unavailable; fork only")
            continue
        check(proc.returncode == 0, "%s: the listing test passed (%s)" % (isolation, output[-500:]))
        with open(report_path) as f:
            report = json.load(f)
        host = report["host"]
        check(marker in host.values(), "%s: the host does hold the marker descriptor (the check can fail)" % isolation)
        host_targets = set(host.values())
        for pid, fds in report["workers"].items():
            print("%s worker %s fds: %s" % (isolation, pid, fds))
            check(marker not in fds.values(), "%s: worker %s did not inherit the marker file" % (isolation, pid))
            # Shared by design: the worker's stderr pipe (pytest's capture
            # keeps dups of it) and the traceback memfd.  Nothing else.
            shared = {t for t in fds.values() if t in host_targets and t != "/dev/null"}
            pipes = {t for t in shared if t.startswith("pipe:")}
            others = shared - pipes - {t for t in shared if t.startswith("/memfd:tach-traceback")}
            check(len(pipes) <= 1 and not others,
                  "%s: worker %s shares only its stderr pipe and the traceback memfd with the host: %s"
                  % (isolation, pid, sorted(shared)))
            check(host.get("1") not in fds.values(), "%s: worker %s does not have the host's stdout" % (isolation, pid))


if __name__ == "__main__":
    sys.exit(main({
        "memory-fork": memory_case("fork"),
        "memory-snapshot": memory_case("snapshot"),
        "memory-bad-size": memory_bad_size,
        "worker-fds": worker_fds,
    }))
