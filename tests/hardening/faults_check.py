#!/usr/bin/env python3
"""Fault injection through the tach CLI: hostile or dying workers, a dying
host.  Each case checks what tach reports, that it neither crashes nor
hangs, and that no worker process is left behind (every process tach
starts inherits a marker variable; /proc is scanned for it afterwards).

    faults_check.py CASE --tach TACH [--fake-worker PATH]

fake-init        a fake worker (fake_worker.py) that sends garbage, oversized,
                 zero-length or truncated frames, a wrong version or an
                 impossible count before or instead of collecting: tach_init
                 fails with a clear "worker ..." error, exit 3 or 4, quickly
fake-run         a fake worker that collects two tests and then closes its
                 socket, never answers (--timeout 1), answers with garbage,
                 with the wrong message, with half a frame, or with another
                 test's result: both tests are reported (crashed / timeout)
                 and tach exits 1; results whose texts are not UTF-8 (and a
                 NaN duration) are repaired: the JUnit XML still parses
kill-collect     the real worker SIGKILLed while a conftest sleeps during
                 collection: a clear error naming collection
kill-zygote      fork isolation: the zygote SIGKILLed while a test runs:
                 that test is crashed, the later ones pass in a new worker
kill-runner      snapshot isolation: the runner SIGKILLed during a test
kill-restore     snapshot isolation: the runner SIGKILLed while restoring
                 (TACH_TEST_HOOK_STALL_RESTORE stops it there): the test's
                 own result stands, the runner is replaced, the rest pass
kill-host-fork / kill-host-snapshot
                 tach itself SIGKILLed while a test runs: within 5 s no
                 process of the run is left
"""
import os
import signal
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (SkipCase, check, main, processes_with_env, run_tach,  # noqa: E402
                     wait_gone, write_project)

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_worker.py")


def marker_env():
    m = "TACH_HARDENING_MARKER=" + uuid.uuid4().hex
    name, value = m.split("=", 1)
    return m, {name: value}


def no_leftovers(marker, what):
    left = wait_gone(marker, 5.0)
    check(not left, "%s: no process of the run left after 5 s (left: %s)" % (what, left))


def not_a_crash(returncode, what):
    check(returncode >= 0 and returncode not in (134, 139), "%s: tach exited normally (status %d)" % (what, returncode))


def fake_init(a, work):
    write_project(work, {"test_a.py": "def test_one():\n    pass\n"})
    for mode, words in [("garbage-hello", "malformed hello"), ("oversized-hello", "hello"),
                        ("zero-length", "hello"), ("truncated-hello", "before saying hello"),
                        ("wrong-version", "protocol 999"), ("garbage-collected", "malformed collection"),
                        ("truncated-collected", "while collecting"), ("huge-count", "malformed collection")]:
        marker, env = marker_env()
        env.update(TACH_WORKER=FAKE, FAKE_WORKER_MODE=mode)
        run = run_tach(a.tach, work, [], env=env, timeout=60)
        print(run.output.strip()[-400:])
        not_a_crash(run.returncode, mode)
        check(run.returncode in (3, 4), "%s: tach failed (exit %d)" % (mode, run.returncode))
        check(words in run.output, "%s: the error says %r" % (mode, words))
        check(run.elapsed < 20, "%s: no hang (%.1f s)" % (mode, run.elapsed))
        no_leftovers(marker, mode)


def fake_run(a, work):
    write_project(work, {"test_a.py": "def test_one():\n    pass\n\ndef test_two():\n    pass\n"})
    for mode, want, extra in [("close-on-run", "crashed", []), ("silent-on-run", "timeout", ["--timeout", "1"]),
                              ("garbage-on-run", "crashed", []), ("wrong-type-on-run", "crashed", []),
                              ("slow-frame", "timeout", ["--timeout", "1"]),
                              ("other-nodeid", "crashed", []), ("bad-utf8-result", "passed", [])]:
        marker, env = marker_env()
        env.update(TACH_WORKER=FAKE, FAKE_WORKER_MODE=mode)
        # One worker: the fake speaks the single-worker protocol only (no lanes).
        run = run_tach(a.tach, work, ["--isolation", "fork", "-n", "1"] + extra, env=env, timeout=90)
        print(run.output.strip()[-600:])
        not_a_crash(run.returncode, mode)
        got = run.outcomes()
        check(sorted(got) == ["test_one", "test_two"], "%s: both tests reported once: %s" % (mode, sorted(got)))
        check(all(o == want for o, _ in got.values()), "%s: both %s: %s" % (mode, want, got))
        check(run.returncode == (0 if want == "passed" else 1), "%s: exit status (got %d)" % (mode, run.returncode))
        check(run.elapsed < 30, "%s: no hang (%.1f s)" % (mode, run.elapsed))
        no_leftovers(marker, mode)


def wait_file(path, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with open(path) as f:
                text = f.read().strip()
            if text:
                return int(text)
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    raise SystemExit("timed out waiting for " + path)


def start_tach(a, work, args, env):
    full = dict(os.environ)
    full.pop("TACH_VERIFY_RESTORE", None)
    full.update(env)
    junit = os.path.join(work, "..", os.path.basename(work) + "-junit.xml")
    proc = subprocess.Popen([a.tach, "-p", "no:cacheprovider", "--junit-xml", junit] + args, cwd=work, env=full,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return proc, junit


SLEEPER = '''
import os, time

def test_a_sleeps():
    path = os.path.join(os.environ["FAULT_DIR"], "pid")
    with open(path + ".tmp", "w") as f:
        f.write(str(os.getpid() if os.environ.get("FAULT_WHO") == "self" else os.getppid()))
    os.rename(path + ".tmp", path)
    time.sleep(60)

def test_b_after():
    assert True

def test_c_after():
    assert True
'''


def outcomes_from(junit):
    from harness import Run
    r = Run.__new__(Run)
    r.junit = junit
    return r.outcomes()


def kill_during_test(isolation, who):
    def case(a, work):
        project = os.path.join(work, "proj")
        write_project(project, {"test_sleep.py": SLEEPER})
        marker, env = marker_env()
        env.update(FAULT_DIR=work, FAULT_WHO=who)
        proc, junit = start_tach(a, project, ["--isolation", isolation], env)
        victim = wait_file(os.path.join(work, "pid"))
        os.kill(victim, signal.SIGKILL)
        out, _ = proc.communicate(timeout=120)
        text = out.decode("utf-8", "replace")
        print(text[-1500:])
        if isolation == "snapshot" and proc.returncode == 4 and "snapshot" in text:
            raise SkipCase("snapshot isolation unavailable")
        got = outcomes_from(junit)
        check(got.get("test_a_sleeps", ("?",))[0] == "crashed", "the killed test is crashed: %s" % got)
        check("signal 9" in got["test_a_sleeps"][1], "its message names SIGKILL")
        check(got.get("test_b_after", ("?",))[0] == "passed" and got.get("test_c_after", ("?",))[0] == "passed",
              "the later tests pass in a new worker: %s" % got)
        check(proc.returncode == 1, "exit 1 (got %d)" % proc.returncode)
        no_leftovers(marker, "kill during a test")
    return case


def kill_restore(a, work):
    project = os.path.join(work, "proj")
    write_project(project, {"test_r.py": "def test_a_first():\n    pass\n\ndef test_b_second():\n    pass\n\n"
                                         "def test_c_third():\n    pass\n"})
    marker, env = marker_env()
    stall = os.path.join(work, "stalled-runner")
    env.update(TACH_TEST_HOOK_STALL_RESTORE=stall)
    proc, junit = start_tach(a, project, ["--isolation", "snapshot", "--stats"], env)
    deadline = time.monotonic() + 60
    while not os.path.exists(stall) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    if proc.poll() is not None:
        text = proc.communicate()[0].decode("utf-8", "replace")
        if proc.returncode == 4 and "snapshot" in text:
            raise SkipCase("snapshot isolation unavailable")
        check(False, "tach ended before the runner restored: %s" % text[-800:])
    runner = wait_file(stall)
    os.kill(runner, signal.SIGKILL)
    out, _ = proc.communicate(timeout=120)
    text = out.decode("utf-8", "replace")
    print(text[-1500:])
    got = outcomes_from(junit)
    check(all(got.get(n, ("?",))[0] == "passed" for n in ("test_a_first", "test_b_second", "test_c_third")),
          "all three tests passed (the first one's result stands): %s" % got)
    check("while restoring" in text, "the replacement says the runner died while restoring")
    check("workers replaced: 1" in text, "one worker replaced")
    check(proc.returncode == 0, "exit 0 (got %d)" % proc.returncode)
    no_leftovers(marker, "kill during restore")


def kill_collect(a, work):
    project = os.path.join(work, "proj")
    write_project(project, {
        "conftest.py": "import os, time\n"
                       "with open(os.path.join(os.environ['FAULT_DIR'], 'pid.tmp'), 'w') as f:\n"
                       "    f.write(str(os.getpid()))\n"
                       "os.rename(os.path.join(os.environ['FAULT_DIR'], 'pid.tmp'),"
                       " os.path.join(os.environ['FAULT_DIR'], 'pid'))\n"
                       "time.sleep(60)\n",
        "test_x.py": "def test_x():\n    pass\n"})
    marker, env = marker_env()
    env.update(FAULT_DIR=work)
    proc, _ = start_tach(a, project, ["--isolation", "fork"], env)
    os.kill(wait_file(os.path.join(work, "pid")), signal.SIGKILL)
    out, _ = proc.communicate(timeout=60)
    text = out.decode("utf-8", "replace")
    print(text[-800:])
    not_a_crash(proc.returncode, "kill during collection")
    check(proc.returncode in (3, 4), "tach failed (exit %d)" % proc.returncode)
    check("killed by signal 9" in text and "collecting" in text, "the error says the worker was killed while collecting")
    no_leftovers(marker, "kill during collection")


def kill_host(isolation):
    def case(a, work):
        project = os.path.join(work, "proj")
        write_project(project, {"test_sleep.py": SLEEPER})
        marker, env = marker_env()
        env.update(FAULT_DIR=work, FAULT_WHO="self")
        proc, _ = start_tach(a, project, ["--isolation", isolation], env)
        wait_file(os.path.join(work, "pid"))
        running = processes_with_env(marker)
        check(len(running) >= 2, "host and worker processes found by the marker: %s" % running)
        proc.kill()
        proc.communicate()
        no_leftovers(marker, "host SIGKILLed (%s)" % isolation)
    return case


if __name__ == "__main__":
    sys.exit(main({
        "fake-init": fake_init,
        "fake-run": fake_run,
        "kill-collect": kill_collect,
        "kill-zygote": kill_during_test("fork", "parent"),
        "kill-runner": kill_during_test("snapshot", "self"),
        "kill-restore": kill_restore,
        "kill-host-fork": kill_host("fork"),
        "kill-host-snapshot": kill_host("snapshot"),
    }))
