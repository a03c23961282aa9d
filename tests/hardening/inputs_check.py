#!/usr/bin/env python3
"""Hostile inputs through the tach CLI: each gives a correct result or a
clear error, never a crash or a hang of the host.

    inputs_check.py CASE --tach TACH

bad-utf8        a test file whose name is not UTF-8 (so its node ids hold
                undecodable bytes), tests printing invalid UTF-8 to stdout
                and stderr: every test reported once, the JUnit XML parses
huge-output     one test prints 100 MB: its output is cut to the first and
                last 2 MiB with a note; the host's peak RSS stays far below
                100 MB (read from /proc while the run's last test lingers)
self-deleting   a test file that deletes itself: its other tests and the
                later files still run and pass; after a crash the worker
                cannot be replaced (the project changed), which is said
conftest-exit   a conftest.py that calls os._exit(3) while pytest collects:
                a clear error saying the worker exited with status 3
unicode-paths   a project root with spaces and non-ASCII letters, test files,
                functions and parameter ids with them: every test passes,
                with its node id intact (also selected with -k)
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Run, check, main, run_tach, write_project  # noqa: E402
import subprocess  # noqa: E402


def bad_utf8(a, work):
    project = os.path.join(work, "proj")
    os.makedirs(project)
    with open(os.path.join(os.fsencode(project), b"test_caf\xe9.py"), "w") as f:
        f.write("def test_in_latin1_file():\n    pass\n")
    write_project(project, {
        "test_output.py": "import os, sys\n"
                          "def test_prints_bad_bytes():\n"
                          "    sys.stdout.buffer.write(b'bad \\xff\\xfe bytes\\n')\n"
                          "    sys.stdout.flush()\n"
                          "    os.write(2, b'half a sequence \\xc3(\\n')\n"
                          "    assert False, 'shows the output'\n"
                          "def test_bad_bytes_in_message():\n"
                          "    raise ValueError(b'\\xff\\xfe'.decode('utf-8', 'surrogateescape'))\n"
                          "def test_plain():\n"
                          "    pass\n",
    })
    for isolation in ("fork", "snapshot"):
        run = run_tach(a.tach, project, ["--isolation", isolation, "-p", "no:cacheprovider", "-rA"])
        print(run.output[-2500:])
        got = run.outcomes()  # parses the XML: it must be well-formed
        check(len(got) == 4, "%s: four results: %s" % (isolation, sorted(got)))
        check(got.get("test_in_latin1_file", ("?",))[0] == "passed", "%s: the test in the non-UTF-8 file passed" % isolation)
        check(got["test_prints_bad_bytes"][0] == "failed", "%s: the failing test failed" % isolation)
        check("bad " in run.output and "bytes" in run.output, "%s: its output is shown" % isolation)
        check(got["test_bad_bytes_in_message"][0] == "failed", "%s: the bad message failed cleanly" % isolation)
        check(got["test_plain"][0] == "passed", "%s: test_plain passed" % isolation)
        check(run.returncode == 1, "%s: exit 1 (got %d)" % (isolation, run.returncode))


def peak_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def huge_output(a, work):
    project = os.path.join(work, "proj")
    write_project(project, {
        "test_huge.py": "import os, sys, time\n"
                        "def test_a_prints_100_mb():\n"
                        "    line = 'x' * 999 + '\\n'\n"
                        "    for i in range(100 * 1000):\n"
                        "        sys.stdout.write(line)\n"
                        "    print('THE LAST LINE')\n"
                        "    assert False, 'fails, so the output is reported'\n"
                        "def test_b_lingers():\n"
                        "    open(os.environ['LINGER_MARK'], 'w').close()\n"
                        "    time.sleep(3)\n",
    })
    mark = os.path.join(work, "lingering")
    env = dict(os.environ, LINGER_MARK=mark)
    env.pop("TACH_VERIFY_RESTORE", None)
    junit = os.path.join(work, "junit.xml")
    out_path = os.path.join(work, "out.txt")
    with open(out_path, "wb") as out:
        proc = subprocess.Popen([a.tach, "--isolation", "fork", "-p", "no:cacheprovider", "--junit-xml", junit],
                                cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while not os.path.exists(mark) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        peak = peak_rss_kb(proc.pid) if proc.poll() is None else -1
        proc.wait(timeout=120)
    with open(out_path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    print(text[-1200:])
    print("host peak RSS: %d kB; report %.1f MiB; JUnit %.1f MiB" % (
        peak, len(text) / 2**20, os.path.getsize(junit) / 2**20))
    check(peak > 0, "the host's peak RSS was read while it ran")
    check(peak < 60 * 1024, "the host's peak RSS stays under 60 MiB for 100 MB of output (%d kB)" % peak)
    check("of this output cut here" in text, "the report says the output was cut")
    check("THE LAST LINE" in text, "the end of the output is kept")
    check(len(text) < 12 * 2**20, "the terminal report is bounded (%d bytes)" % len(text))
    r = Run.__new__(Run)
    r.junit = junit
    got = r.outcomes()
    check(got.get("test_a_prints_100_mb", ("?",))[0] == "failed" and got.get("test_b_lingers", ("?",))[0] == "passed",
          "both results: %s" % {k: v[0] for k, v in got.items()})
    check(proc.returncode == 1, "exit 1 (got %d)" % proc.returncode)


def self_deleting(a, work):
    project = os.path.join(work, "proj")
    files = {
        "test_a_deletes.py": "import os\n"
                             "def test_delete_myself():\n"
                             "    os.unlink(__file__)\n"
                             "def test_after_deletion_same_file():\n"
                             "    assert not os.path.exists(__file__)\n",
        "test_b_later.py": "def test_later_file():\n    pass\n",
    }
    for isolation in ("fork", "snapshot", "none"):
        write_project(project, files)
        # One worker: the second test depends on the first having run
        # (with several workers they could run at the same time).
        run = run_tach(a.tach, project, ["--isolation", isolation, "-n", "1", "-p", "no:cacheprovider"])
        print(run.output[-1500:])
        got = run.outcomes()
        check(sorted(v[0] for v in got.values()) == ["passed"] * 3, "%s: all three tests passed: %s" % (isolation, got))
        check(run.returncode == 0, "%s: exit 0 (got %d)" % (isolation, run.returncode))
    # A crash after the deletion: the replacement worker would collect a
    # different project.  That is said, and the run ends without a hang.
    files["test_b_later.py"] = ("import os, signal\ndef test_crash():\n    os.kill(os.getpid(), signal.SIGKILL)\n"
                                "def test_after_crash():\n    pass\n")
    write_project(project, files)
    # (In none isolation the crash takes the zygote: a new one must collect.)
    run = run_tach(a.tach, project, ["--isolation", "none", "-p", "no:cacheprovider"])
    print(run.output[-1500:])
    got = run.outcomes()
    check(got.get("test_crash", ("?",))[0] == "crashed", "the crash is reported: %s" % got)
    check("collects different tests" in run.output, "the failed replacement says the project changed")
    check(run.returncode not in (0, 134, 139) and run.returncode > 0, "a failing exit status (%d)" % run.returncode)


def conftest_exit(a, work):
    project = os.path.join(work, "proj")
    write_project(project, {"conftest.py": "import os\nos._exit(3)\n", "test_x.py": "def test_x():\n    pass\n"})
    run = run_tach(a.tach, project, ["-p", "no:cacheprovider"], junit=False, timeout=60)
    print(run.output)
    check(run.returncode in (3, 4), "tach fails (exit %d)" % run.returncode)
    check("exited with status 3" in run.output and "collect" in run.output,
          "the error says the worker exited with status 3 while collecting")
    check(run.elapsed < 20, "no hang (%.1f s)" % run.elapsed)


def unicode_paths(a, work):
    project = os.path.join(work, "dir with spaces", "ünïcødé ✓ proj")
    write_project(project, {
        "sub dir/test_ünï cødé.py": "import pytest\n"
                                    "def test_naïve_ß():\n    pass\n"
                                    "@pytest.mark.parametrize('v', ['a b', 'ü ✓'], ids=['with space', 'ümlaut ✓'])\n"
                                    "def test_ids(v):\n    assert v\n",
        "test_plain.py": "import os\ndef test_cwd_has_spaces():\n    assert ' ' in os.getcwd() and 'ü' in os.getcwd()\n",
    })
    for isolation in ("fork", "snapshot"):
        run = run_tach(a.tach, project, ["--isolation", isolation, "-p", "no:cacheprovider", "-v"])
        print(run.output[-1500:])
        got = run.outcomes()
        # pytest itself escapes non-ASCII parameter ids (\\xfc, \\u2713).
        check(sorted(got) == sorted(["test_naïve_ß", "test_ids[with space]", "test_ids[\\xfcmlaut \\u2713]",
                                     "test_cwd_has_spaces"]), "%s: the four node ids intact: %s" % (isolation, sorted(got)))
        check(all(v[0] == "passed" for v in got.values()), "%s: all passed" % isolation)
        check("sub dir/test_ünï cødé.py::test_ids[with space] PASSED" in run.output,
              "%s: the verbose line shows the full node id" % isolation)
        check(run.returncode == 0, "%s: exit 0" % isolation)
    run = run_tach(a.tach, project, ["--isolation", "fork", "-p", "no:cacheprovider", "-k", "naïve or with"])
    got = run.outcomes()
    check(sorted(got) == sorted(["test_naïve_ß", "test_ids[with space]"]), "-k with non-ASCII selects two: %s" % sorted(got))
    run = run_tach(a.tach, project, ["--isolation", "fork", "-p", "no:cacheprovider", "sub dir/test_ünï cødé.py::test_naïve_ß"])
    got = run.outcomes()
    check(sorted(got) == ["test_naïve_ß"], "a node id with spaces and non-ASCII selects it: %s" % sorted(got))


if __name__ == "__main__":
    sys.exit(main({
        "bad-utf8": bad_utf8,
        "huge-output": huge_output,
        "self-deleting": self_deleting,
        "conftest-exit": conftest_exit,
        "unicode-paths": unicode_paths,
    }))
