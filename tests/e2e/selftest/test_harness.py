#!/usr/bin/env python3
"""Unit tests of compare_with_pytest.py, with hand-made JUnit XML.

Standard library only.  Usage:
    test_harness.py [--python PYTHON_WITH_PYTEST] [unittest options]
Without --python (or when it cannot import pytest) the tests that run real
pytest are skipped.
"""
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import compare_with_pytest as h  # noqa: E402

PYTHON = None  # set from --python in __main__


def junit(*cases):
    """<testsuites> around testcase snippets."""
    return ('<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">'
            + "".join(cases) + "</testsuite></testsuites>")


def tc(classname, name, body=""):
    return '<testcase classname="%s" name="%s" time="0.01">%s</testcase>' % (classname, name, body)


PASS = tc("test_a", "test_ok")
FAIL = tc("test_a", "test_bad", '<failure message="assert 41 == 42">long text</failure>')
ERROR = tc("test_a", "test_err", '<error message="failed on setup with &quot;X&quot;">t</error>')
SKIP = tc("test_a", "test_skip", '<skipped type="pytest.skip" message="nope">x</skipped>')
XFAIL = tc("test_a", "test_xf", '<skipped type="pytest.xfail" message="known"/>')
CRASH = tc("test_a", "test_crash", '<failure message="crashed: signal 11 (SIGSEGV)">core</failure>')
TIMEOUT = tc("test_a", "test_hang", '<failure message="timeout after 2s">File "x.py", line 6 in wait_for_ever</failure>')
SUMMARY = "============ 1 failed, 1 passed in 0.12s ============\n"


class CategoryTests(unittest.TestCase):
    def parse(self, *cases):
        return h.parse_junit_text(junit(*cases))

    def test_each_category(self):
        cases = self.parse(PASS, FAIL, ERROR, SKIP, XFAIL, CRASH, TIMEOUT)
        got = {k: c.category for k, c in cases.items()}
        self.assertEqual(got, {
            "test_a::test_ok": "passed",
            "test_a::test_bad": "failed",
            "test_a::test_err": "error",
            "test_a::test_skip": "skipped",
            "test_a::test_xf": "xfailed",
            "test_a::test_crash": "crashed",
            "test_a::test_hang": "timeout",
        })

    def test_failure_then_teardown_error_in_two_testcases_is_error(self):
        # pytest writes this for a failing test whose teardown also fails.
        cases = self.parse(
            tc("m", "t", '<failure message="assert 0">a</failure>'),
            tc("m", "t", '<error message="failed on teardown with &quot;E&quot;">b</error>'))
        self.assertEqual(list(cases), ["m::t"])
        self.assertEqual(cases["m::t"].category, "error")
        self.assertEqual(cases["m::t"].count, 2)
        self.assertEqual(len(cases["m::t"].messages()), 2)

    def test_pass_then_teardown_error_in_one_testcase_is_error(self):
        cases = self.parse(tc("m", "t", '<error message="failed on teardown">b</error>'
                                        '<system-out>out</system-out>'))
        self.assertEqual(cases["m::t"].category, "error")

    def test_crash_reported_as_error_element(self):
        cases = self.parse(tc("m", "t", '<error message="Crashed in teardown">b</error>'))
        self.assertEqual(cases["m::t"].category, "crashed")

    def test_system_out_and_properties_are_not_outcomes(self):
        cases = self.parse(tc("m", "t", "<properties><property name='a' value='b'/></properties>"
                                        "<system-out>x</system-out><system-err>y</system-err>"))
        self.assertEqual(cases["m::t"].category, "passed")

    def test_collection_error_has_empty_classname(self):
        cases = self.parse(tc("", "test_syntax_error", '<error message="collection failure">x</error>'))
        self.assertEqual(list(cases), ["::test_syntax_error"])
        self.assertEqual(cases["::test_syntax_error"].category, "error")

    def test_single_testsuite_root(self):
        cases = h.parse_junit_text('<testsuite name="x">%s</testsuite>' % PASS)
        self.assertEqual(list(cases), ["test_a::test_ok"])

    def test_malformed_xml(self):
        with self.assertRaises(h.HarnessError) as cm:
            h.parse_junit_text("<testsuites><testsuite>", "tach's JUnit XML")
        self.assertIn("not well-formed", str(cm.exception))

    def test_wrong_root(self):
        with self.assertRaises(h.HarnessError) as cm:
            h.parse_junit_text("<html/>")
        self.assertIn("<html>", str(cm.exception))

    def test_testcase_without_name(self):
        with self.assertRaises(h.HarnessError):
            h.parse_junit_text('<testsuite><testcase classname="x"/></testsuite>')

    def test_normalize_message(self):
        a = "assert 6 == 7\n +  where 6 = <Widget object at 0x7f0a62f35fd0>.area()   "
        b = "assert 6 == 7\n +  where 6 = <Widget object at 0x7f11aa000010>.area()"
        self.assertEqual(h.normalize_message(a), h.normalize_message(b))
        self.assertEqual(h.normalize_message("/tmp/pytest-of-root/pytest-12/t0/f"),
                         h.normalize_message("/tmp/pytest-of-root/pytest-3/t0/f"))


class SummaryLineTests(unittest.TestCase):
    GOOD = [
        "============== 2 failed, 17 passed, 1 skipped, 1 xfailed in 0.06s ==============",
        "=== 19 failed, 71 passed, 6 skipped, 4 xfailed, 2 xpassed, 5 errors in 0.27s ===",
        "============================== 2 errors in 0.17s ===============================",
        "==================== 1 passed, 99 deselected in 0.11s ====================",
        "=========== 3 failed, 5 passed, 2 crashed in 12.50s (0:00:12) ===========",
        "============================ no tests ran in 0.01s =============================",
        "======== 1 passed, 1 warning in 3s ========",
    ]
    BAD = [
        "=================================== FAILURES ===================================",
        "=========================== short test summary info ============================",
        "2 failed, 17 passed in 0.06s",  # quiet form: only accepted with -q
        "FAILED test_x.py::test_y - assert 1 == 2 in 0.5s",
    ]

    def test_good(self):
        for line in self.GOOD:
            self.assertIsNotNone(h.find_summary_line("x\n" + line + "\n", quiet=False), line)

    def test_bad(self):
        for line in self.BAD:
            self.assertIsNone(h.find_summary_line(line + "\n", quiet=False), line)

    def test_quiet(self):
        self.assertIsNotNone(h.find_summary_line("1 failed, 4 passed, 2 errors in 0.18s\n", quiet=True))
        self.assertIsNotNone(h.find_summary_line(self.GOOD[0], quiet=True))
        self.assertIsNone(h.find_summary_line("FAILED x - y", quiet=True))

    def test_colored(self):
        line = "\x1b[31m===== \x1b[1m1 failed\x1b[0m, \x1b[32m2 passed\x1b[0m\x1b[31m in 0.1s =====\x1b[0m"
        self.assertIsNotNone(h.find_summary_line(line, quiet=False))

    def test_is_quiet(self):
        self.assertTrue(h.is_quiet(["-q"]))
        self.assertTrue(h.is_quiet(["-qq"]))
        self.assertTrue(h.is_quiet(["--quiet"]))
        self.assertFalse(h.is_quiet(["-v", "-k", "q"]))


class CompareTests(unittest.TestCase):
    def compare(self, ref, got, expects=(), messages=True):
        report = h.Report()
        exps = [h.Expectation(e) for e in expects]
        h.compare_cases(h.parse_junit_text(junit(*ref)), h.parse_junit_text(junit(*got)),
                        exps, messages, report)
        h.check_unused(exps, report)
        return report

    def test_identical(self):
        r = self.compare([PASS, FAIL, SKIP, XFAIL, ERROR], [PASS, FAIL, SKIP, XFAIL, ERROR])
        self.assertTrue(r.ok, r.problems)

    def test_different_outcome(self):
        r = self.compare([PASS, FAIL], [PASS, tc("test_a", "test_bad")])
        self.assertFalse(r.ok)
        self.assertIn("test_a::test_bad: pytest says failed, tach says passed", r.problems[0])

    def test_skip_vs_xfail_differ(self):
        r = self.compare([tc("m", "t", '<skipped type="pytest.xfail" message=""/>')],
                         [tc("m", "t", '<skipped type="pytest.skip" message=""/>')])
        self.assertFalse(r.ok)

    def test_missing_and_extra(self):
        r = self.compare([PASS, FAIL], [PASS, SKIP])
        text = "\n".join(r.problems)
        self.assertIn("test_a::test_bad: missing from tach's report", text)
        self.assertIn("test_a::test_skip: reported by tach but not by pytest", text)

    def test_expected_difference(self):
        r = self.compare([tc("test_a", "test_crash", '<failure message="boom"/>')], [CRASH],
                         expects=["test_crash=crashed"])
        self.assertTrue(r.ok, r.problems)

    def test_expectation_with_alternatives(self):
        r = self.compare([tc("test_a", "test_crash", '<failure message="x"/>')], [CRASH],
                         expects=["crash=failed|crashed"])
        self.assertTrue(r.ok, r.problems)

    def test_expectation_not_met(self):
        r = self.compare([tc("test_a", "test_crash", '<failure message="x"/>')],
                         [tc("test_a", "test_crash", '<failure message="x"/>')],
                         expects=["test_crash=crashed"])
        self.assertFalse(r.ok)

    def test_longest_expectation_wins(self):
        r = self.compare([PASS, CRASH], [PASS, CRASH],
                         expects=["test_=passed", "test_crash=crashed"])
        self.assertTrue(r.ok, r.problems)

    def test_unused_expectation(self):
        r = self.compare([PASS], [PASS], expects=["no_such_test=crashed"])
        self.assertFalse(r.ok)
        self.assertIn("matched no test", r.problems[0])

    def test_message_differs(self):
        r = self.compare([FAIL], [tc("test_a", "test_bad", '<failure message="AssertionError"/>')])
        self.assertFalse(r.ok)
        self.assertIn("different message", r.problems[0])
        r = self.compare([FAIL], [tc("test_a", "test_bad", '<failure message="AssertionError"/>')],
                         messages=False)
        self.assertTrue(r.ok, r.problems)

    def test_message_same_after_normalizing(self):
        r = self.compare([tc("m", "t", '<failure message="assert &lt;A at 0xdead&gt;"/>')],
                         [tc("m", "t", '<failure message="assert &lt;A at 0xbeef&gt;   "/>')])
        self.assertTrue(r.ok, r.problems)

    def test_one_vs_two_testcase_elements_for_teardown_error(self):
        ref = [tc("m", "t", '<failure message="assert 0"/>'),
               tc("m", "t", '<error message="failed on teardown"/>')]
        got = [tc("m", "t", '<failure message="assert 0"/><error message="failed on teardown"/>')]
        r = self.compare(ref, got)
        self.assertTrue(r.ok, r.problems)

    def test_bad_expect_specs(self):
        for spec in ("nothing", "=passed", "x=", "x=exploded"):
            with self.assertRaises(h.HarnessError, msg=spec):
                h.Expectation(spec)


SCRIPTED_TACH = textwrap.dedent('''\
    """Scripted stand-in for tach: behaviour from the JSON file in $FAKE_SPEC."""
    import json, os, sys
    args = sys.argv[1:]
    spec = json.load(open(os.environ["FAKE_SPEC"]))
    with open(os.environ["FAKE_SPEC"] + ".argv", "w") as f:
        json.dump(args, f)
    if spec.get("xml") is not None:
        with open(args[args.index("--junit-xml") + 1], "w") as f:
            f.write(spec["xml"])
    sys.stdout.write(spec.get("stdout", ""))
    sys.stderr.write(spec.get("stderr", ""))
    sys.exit(spec.get("rc", 0))
''')


class ScriptedTachCase(unittest.TestCase):
    """Runs main() with a scripted tach in a temporary directory."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="tach-harness-test-")
        self.dir = self.tmp.name
        self.suite = os.path.join(self.dir, "suite")
        os.mkdir(self.suite)
        self.tach = os.path.join(self.dir, "scripted_tach.py")
        with open(self.tach, "w") as f:
            f.write(SCRIPTED_TACH)
        self.spec = os.path.join(self.dir, "spec.json")
        self._old_env = os.environ.get("FAKE_SPEC")
        os.environ["FAKE_SPEC"] = self.spec

    def tearDown(self):
        if self._old_env is None:
            os.environ.pop("FAKE_SPEC", None)
        else:
            os.environ["FAKE_SPEC"] = self._old_env
        self.tmp.cleanup()

    def run_main(self, spec, *extra, python=None):
        with open(self.spec, "w") as f:
            json.dump(spec, f)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = h.main(["--tach", self.tach, "--python", python or sys.executable,
                         "--suite", self.suite] + list(extra))
        return rc, out.getvalue()

    def tach_argv(self):
        with open(self.spec + ".argv") as f:
            return json.load(f)


class MainTests(ScriptedTachCase):
    """main() end to end, with a scripted tach (no pytest needed)."""

    def test_all_pass(self):
        rc, out = self.run_main({"xml": junit(PASS), "stdout": "=== 1 passed in 0.01s ===\n"},
                                "--tach-only", "--tach-arg=-k", "--tach-arg=ok")
        self.assertEqual(rc, 0, out)
        self.assertIn("OK: 1 tests", out)
        argv = self.tach_argv()
        self.assertEqual(argv[0], "--junit-xml")
        self.assertEqual(argv[2:], ["--python", sys.executable, "-k", "ok"])

    def test_no_pass_python(self):
        rc, out = self.run_main({"xml": junit(PASS), "stdout": "=== 1 passed in 0.01s ===\n"},
                                "--tach-only", "--no-pass-python")
        self.assertEqual(rc, 0, out)
        self.assertNotIn("--python", self.tach_argv())

    def test_unexpected_failure(self):
        rc, out = self.run_main({"xml": junit(PASS, FAIL), "stdout": SUMMARY, "rc": 1},
                                "--tach-only")
        self.assertEqual(rc, 1, out)
        self.assertIn("test_a::test_bad: tach says failed, wanted passed", out)
        self.assertIn("tach's message: assert 41 == 42", out)
        self.assertIn("---- tach stdout", out)  # output shown on failure

    def test_expected_crash_and_timeout_text(self):
        rc, out = self.run_main({"xml": junit(PASS, CRASH, TIMEOUT), "stdout": SUMMARY, "rc": 1},
                                "--tach-only", "--expect", "test_crash=crashed",
                                "--expect", "test_hang=timeout",
                                "--expect-text", "test_hang=wait_for_ever", "--expect-exit", "1")
        self.assertEqual(rc, 0, out)

    def test_timeout_text_missing(self):
        rc, out = self.run_main({"xml": junit(TIMEOUT), "stdout": SUMMARY, "rc": 1},
                                "--tach-only", "--expect", "test_hang=timeout",
                                "--expect-text", "test_hang=spin_for_ever")
        self.assertEqual(rc, 1, out)
        self.assertIn("does not contain 'spin_for_ever'", out)

    def test_exit_status_checked(self):
        rc, out = self.run_main({"xml": junit(PASS), "stdout": SUMMARY, "rc": 1}, "--tach-only")
        self.assertEqual(rc, 1, out)
        self.assertIn("tach exited with 1; with these outcomes it should be 0", out)
        rc, out = self.run_main({"xml": junit(PASS), "stdout": SUMMARY, "rc": 0},
                                "--tach-only", "--expect-exit", "3")
        self.assertEqual(rc, 1, out)
        self.assertIn("exited with 0, wanted 3", out)

    def test_missing_junit(self):
        rc, out = self.run_main({"xml": None, "stdout": SUMMARY}, "--tach-only")
        self.assertEqual(rc, 1, out)
        self.assertIn("tach's JUnit XML was not written", out)

    def test_broken_junit(self):
        rc, out = self.run_main({"xml": "<testsuites><testcase", "stdout": SUMMARY}, "--tach-only")
        self.assertEqual(rc, 1, out)
        self.assertIn("not well-formed", out)

    def test_no_tests_is_an_error(self):
        rc, out = self.run_main({"xml": junit(), "stdout": SUMMARY}, "--tach-only")
        self.assertEqual(rc, 1, out)
        self.assertIn("reported no tests at all", out)

    def test_usage_error_without_junit(self):
        rc, out = self.run_main({"xml": None, "stderr": "ImportError while loading conftest\n"
                                 "E   RuntimeError: conftest boom\n", "rc": 4},
                                "--tach-only", "--expect-exit", "4", "--expect-output", "conftest boom")
        self.assertEqual(rc, 0, out)
        rc, out = self.run_main({"xml": None, "stderr": "something else\n", "rc": 4},
                                "--tach-only", "--expect-exit", "4", "--expect-output", "conftest boom")
        self.assertEqual(rc, 1, out)
        self.assertIn("output does not contain 'conftest boom'", out)

    def test_summary_line_required(self):
        rc, out = self.run_main({"xml": junit(PASS), "stdout": "all good\n"}, "--tach-only")
        self.assertEqual(rc, 1, out)
        self.assertIn("no summary line", out)
        rc, out = self.run_main({"xml": junit(PASS), "stdout": "1 passed in 0.1s\n"},
                                "--tach-only", "--tach-arg=-q")
        self.assertEqual(rc, 0, out)
        rc, out = self.run_main({"xml": junit(PASS), "stdout": "all good\n"},
                                "--tach-only", "--no-summary-check")
        self.assertEqual(rc, 0, out)

    def test_killed_by_signal(self):
        rc, out = self.run_main({"xml": junit(PASS), "stdout": SUMMARY, "rc": -11}, "--tach-only")
        self.assertEqual(rc, 1, out)

    def test_bad_arguments_are_harness_errors(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = h.main(["--tach", "/nonexistent/tach", "--python", sys.executable,
                         "--suite", self.suite, "--tach-only"])
        self.assertEqual(rc, 2)
        self.assertIn("HARNESS ERROR", out.getvalue())
        with contextlib.redirect_stdout(out):
            rc = h.main(["--tach", self.tach, "--python", sys.executable,
                         "--suite", os.path.join(self.dir, "nope"), "--tach-only"])
        self.assertEqual(rc, 2)

    def test_run_timeout_kills(self):
        slow = os.path.join(self.dir, "slow_tach.py")
        with open(slow, "w") as f:
            f.write("import time\ntime.sleep(60)\n")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = h.main(["--tach", slow, "--python", sys.executable, "--suite", self.suite,
                         "--tach-only", "--run-timeout", "1"])
        self.assertEqual(rc, 1, out.getvalue())
        self.assertIn("did not finish within --run-timeout", out.getvalue())


def _python_has_pytest():
    if not PYTHON:
        return False
    return subprocess.run([PYTHON, "-c", "import pytest"], capture_output=True).returncode == 0


class WithPytestTests(ScriptedTachCase):
    """Compare mode against real pytest on a tiny generated suite."""

    SUITE = {
        "pytest.ini": "[pytest]\n",
        "test_tiny.py": textwrap.dedent('''\
            import pytest

            def test_ok():
                pass

            def test_bad():
                assert 41 == 42

            @pytest.mark.xfail
            def test_xf():
                assert 0
        '''),
    }

    def setUp(self):
        if not _python_has_pytest():
            self.skipTest("no --python with pytest given")
        super().setUp()
        for name, text in self.SUITE.items():
            with open(os.path.join(self.suite, name), "w") as f:
                f.write(text)

    def test_self_test(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = h.main(["--self-test", "--python", PYTHON, "--suite", self.suite])
        self.assertEqual(rc, 0, out.getvalue())
        self.assertIn("OK: 3 tests", out.getvalue())

    def test_pytest_only_expectations(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = h.main(["--pytest-only", "--python", PYTHON, "--suite", self.suite,
                         "--expect", "test_bad=failed", "--expect", "test_xf=xfailed"])
        self.assertEqual(rc, 0, out.getvalue())

    def test_compare_same(self):
        xml = junit(tc("test_tiny", "test_ok"),
                    tc("test_tiny", "test_bad", '<failure message="assert 41 == 42">x</failure>'),
                    tc("test_tiny", "test_xf", '<skipped type="pytest.xfail" message=""/>'))
        rc, out = self.run_main({"xml": xml, "stdout": SUMMARY, "rc": 1}, python=PYTHON)
        self.assertEqual(rc, 0, out)

    def test_compare_unrewritten_assertion(self):
        xml = junit(tc("test_tiny", "test_ok"),
                    tc("test_tiny", "test_bad", '<failure message="AssertionError">x</failure>'),
                    tc("test_tiny", "test_xf", '<skipped type="pytest.xfail" message=""/>'))
        rc, out = self.run_main({"xml": xml, "stdout": SUMMARY, "rc": 1}, python=PYTHON)
        self.assertEqual(rc, 1, out)
        self.assertIn("MESSAGE", out)
        self.assertIn("'assert 41 == 42'", out)

    def test_compare_different_exit_status(self):
        xml = junit(tc("test_tiny", "test_ok"),
                    tc("test_tiny", "test_bad", '<failure message="assert 41 == 42">x</failure>'),
                    tc("test_tiny", "test_xf", '<skipped type="pytest.xfail" message=""/>'))
        rc, out = self.run_main({"xml": xml, "stdout": SUMMARY, "rc": 0}, python=PYTHON)
        self.assertEqual(rc, 1, out)
        self.assertIn("exit status differs: pytest 1, tach 0", out)

    def test_compare_missing_test(self):
        xml = junit(tc("test_tiny", "test_ok"),
                    tc("test_tiny", "test_bad", '<failure message="assert 41 == 42">x</failure>'))
        rc, out = self.run_main({"xml": xml, "stdout": SUMMARY, "rc": 1}, python=PYTHON)
        self.assertEqual(rc, 1, out)
        self.assertIn("test_tiny::test_xf: missing from tach's report", out)


if __name__ == "__main__":
    argv = sys.argv[1:]
    if "--python" in argv:
        i = argv.index("--python")
        PYTHON = argv[i + 1]
        del argv[i:i + 2]
    unittest.main(argv=[sys.argv[0]] + argv, verbosity=2)
