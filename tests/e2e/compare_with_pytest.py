#!/usr/bin/env python3
"""Run a bundled pytest suite under `tach` and under pytest, compare outcomes.

Standard library only: this script runs under whichever Python Meson found,
which need not be the one that has pytest (that one is --python).

Modes
-----
compare (default)  run `PYTHON -m pytest` and `TACH` on the suite, compare the
                   per-test outcome categories of their JUnit XML reports.
                   --expect says where tach is meant to differ from pytest.
--tach-only        run only tach (for suites that would kill or hang pytest);
                   every test must pass unless an --expect says otherwise.
--pytest-only      run only pytest; same rule (used to show that the
                   `isolation` suite really leaks state under plain pytest).
--self-test        compare pytest with itself (the "tach" side is pytest too):
                   checks the harness and the suite, no tach needed.

Outcome categories (from one testcase's child elements)
-------------------------------------------------------
  crashed   a <failure> or <error> whose message starts with "crash"
  timeout   a <failure> or <error> whose message starts with "timeout"
            or "timed out"
  error     an <error> (setup/teardown error, collection error)
  failed    a <failure>
  xfailed   a <skipped type="pytest.xfail">
  skipped   any other <skipped>
  passed    no such child (an XPASS that is not strict is "passed")
pytest writes a second <testcase> with the same classname/name when a failed
test also errors in teardown: all elements of one (classname, name) are
merged, and the category listed first above wins ("error wins").

Tests are named "classname::name" as in the XML, e.g.
"test_classes.TestWidget::test_widget_area" or "::test_syntax_error" for a
collection error.  --expect SUBSTR=OUTCOME[|OUTCOME...] applies to every test
whose name contains SUBSTR (the longest matching SUBSTR wins); an --expect that
matches no test is itself an error.

In compare mode the failure/error/skip messages are compared too (after
hiding memory addresses and pytest's numbered temp dirs), because that is
where assertion rewriting shows: "assert 41 == 42\\n +  where 41 = f()".

Exit status: 0 when everything matched, 1 on any unexpected difference,
2 when the harness itself could not run (bad arguments, missing programs).
"""

import argparse
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

CATEGORIES = ("crashed", "timeout", "error", "failed", "xfailed", "skipped", "passed")
PRIORITY = {c: i for i, c in enumerate(CATEGORIES)}  # lower index wins a merge
FAILING = {"crashed", "timeout", "error", "failed"}
MISSING = "(missing)"

SUMMARY_WORDS = (r"passed|failed|errors?|skipped|xfailed|xpassed|deselected|"
                 r"warnings?|crashed|timeouts?|timed out|rerun")
SUMMARY_BODY = (r"(?:.*\b\d+ (?:%s)\b.*|no tests ran)"
                r" in \d+(?:\.\d+)?s(?: \(\d+:\d\d:\d\d\))?" % SUMMARY_WORDS)
SUMMARY_RE = re.compile(r"^=+ %s =+$" % SUMMARY_BODY)
SUMMARY_QUIET_RE = re.compile(r"^(?:=+ )?%s(?: =+)?$" % SUMMARY_BODY)
ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class HarnessError(Exception):
    """The harness could not do its job (as opposed to: tach differed)."""


# --------------------------------------------------------------------- JUnit


class Case:
    """All JUnit elements of one (classname, name)."""

    def __init__(self, classname, name):
        self.classname = classname
        self.name = name
        self.category = "passed"
        self.details = []  # (tag, message, text) of failure/error/skipped children
        self.count = 0  # number of <testcase> elements merged into this one

    @property
    def key(self):
        return "%s::%s" % (self.classname, self.name)

    def add_element(self, tc):
        self.count += 1
        category = "passed"
        for child in tc:
            tag = child.tag
            if tag not in ("failure", "error", "skipped"):
                continue
            message = child.get("message") or ""
            text = child.text or ""
            self.details.append((tag, message, text))
            category = _better(category, _element_category(child, message))
        self.category = _better(self.category, category)

    def messages(self):
        return sorted((tag, normalize_message(msg)) for tag, msg, _ in self.details)

    def all_text(self):
        return "\n".join(msg + "\n" + text for _, msg, text in self.details)


def _better(a, b):
    return a if PRIORITY[a] <= PRIORITY[b] else b


def _element_category(child, message):
    tag = child.tag
    lowered = message.strip().lower()
    if tag in ("failure", "error"):
        if lowered.startswith("crash"):
            return "crashed"
        if lowered.startswith("timeout") or lowered.startswith("timed out"):
            return "timeout"
        return "error" if tag == "error" else "failed"
    if tag == "skipped":
        return "xfailed" if child.get("type") == "pytest.xfail" else "skipped"
    return "passed"


def parse_junit_text(text, what="JUnit XML"):
    """Parse JUnit XML text into {key: Case}.  Raises HarnessError."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        head = text[:300] if isinstance(text, str) else text[:300].decode("utf-8", "replace")
        raise HarnessError("%s is not well-formed XML (%s); it starts with:\n%s" % (what, e, head))
    if root.tag not in ("testsuites", "testsuite"):
        raise HarnessError("%s: root element is <%s>, expected <testsuites> or <testsuite>"
                           % (what, root.tag))
    cases = {}
    for tc in root.iter("testcase"):
        classname = tc.get("classname")
        name = tc.get("name")
        if name is None:
            raise HarnessError("%s: a <testcase> has no name attribute: %s"
                               % (what, ET.tostring(tc, encoding="unicode")[:200]))
        if classname is None:
            classname = ""
        key = "%s::%s" % (classname, name)
        case = cases.get(key)
        if case is None:
            case = cases[key] = Case(classname, name)
        case.add_element(tc)
    return cases


def parse_junit_file(path, what):
    if not os.path.exists(path):
        raise HarnessError("%s was not written (expected at %s)" % (what, path))
    with open(path, "rb") as f:
        data = f.read()
    if not data.strip():
        raise HarnessError("%s is empty (%s)" % (what, path))
    return parse_junit_text(data, what)


_NORMALIZERS = [
    (re.compile(r"0x[0-9a-fA-F]+"), "0x?"),
    (re.compile(r"pytest-of-[^/\s]+/pytest-\d+"), "pytest-of-?/pytest-?"),
    (re.compile(r"[ \t]+$", re.M), ""),
]


def normalize_message(message):
    for rx, repl in _NORMALIZERS:
        message = rx.sub(repl, message)
    return message.strip()


# -------------------------------------------------------------- expectations


class Expectation:
    def __init__(self, spec, default_key=None):
        if "=" not in spec:
            raise HarnessError("bad --expect %r: want SUBSTRING=OUTCOME[|OUTCOME...]" % spec)
        substr, _, outcomes = spec.rpartition("=")
        if not substr:
            raise HarnessError("bad --expect %r: empty test name substring" % spec)
        allowed = tuple(o.strip() for o in outcomes.split("|") if o.strip())
        bad = [o for o in allowed if o not in CATEGORIES]
        if not allowed or bad:
            raise HarnessError("bad --expect %r: outcome must be one of %s"
                               % (spec, ", ".join(CATEGORIES)))
        self.spec = spec
        self.substr = substr
        self.allowed = allowed
        self.used = False

    def matches(self, case):
        return self.substr in case.key or self.substr in "%s.%s" % (case.classname, case.name)


def find_expectation(expectations, case):
    best = None
    for e in expectations:
        if e.matches(case) and (best is None or len(e.substr) > len(best.substr)):
            best = e
    if best is not None:
        best.used = True
    return best


class TextExpectation:
    def __init__(self, spec):
        if "=" not in spec:
            raise HarnessError("bad --expect-text %r: want SUBSTRING=TEXT" % spec)
        self.substr, _, self.text = spec.partition("=")
        if not self.substr or not self.text:
            raise HarnessError("bad --expect-text %r: want SUBSTRING=TEXT" % spec)
        self.spec = spec


# ------------------------------------------------------------------ running


class RunResult:
    def __init__(self, label, argv, returncode, stdout, stderr, seconds, timed_out):
        self.label = label
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds
        self.timed_out = timed_out


def run_command(label, argv, cwd, timeout):
    env = dict(os.environ)
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    env.pop("PYTEST_ADDOPTS", None)  # both sides see exactly the arguments we give
    env.pop("PYTEST_PLUGINS", None)
    print("$ (cd %s && %s)" % (shlex.quote(cwd), shlex.join(argv)), flush=True)
    start = time.monotonic()
    try:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
    except OSError as e:
        raise HarnessError("cannot start %s (%s): %s" % (label, argv[0], e))
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        out, err = proc.communicate()
    finally:
        # Whatever the run left behind in its process group (hung workers,
        # `sleep` children of leaky tests) must not outlive the harness.
        _kill_group(proc, only_leftovers=True)
    seconds = time.monotonic() - start
    return RunResult(label, argv, proc.returncode, out.decode("utf-8", "replace"),
                     err.decode("utf-8", "replace"), seconds, timed_out)


def _kill_group(proc, only_leftovers=False):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if not only_leftovers:
        try:
            proc.kill()
        except ProcessLookupError:
            pass


def tail(text, lines):
    parts = text.rstrip("\n").split("\n")
    if len(parts) <= lines:
        return text.rstrip("\n")
    return "[... %d lines cut ...]\n%s" % (len(parts) - lines, "\n".join(parts[-lines:]))


def show_output(run, lines=80):
    print("---- %s: exit status %s after %.1fs%s" % (
        run.label, run.returncode, run.seconds, " (KILLED: run timeout)" if run.timed_out else ""))
    print("---- %s stdout (last %d lines):" % (run.label, lines))
    print(tail(run.stdout, lines) or "(empty)")
    print("---- %s stderr (last %d lines):" % (run.label, lines))
    print(tail(run.stderr, lines) or "(empty)")
    print("---- end of %s output" % run.label, flush=True)


def find_summary_line(stdout, quiet):
    rx = SUMMARY_QUIET_RE if quiet else SUMMARY_RE
    for line in ANSI_RE.sub("", stdout).splitlines():
        if rx.match(line.strip()):
            return line.strip()
    return None


def is_quiet(args):
    return any(a == "--quiet" or re.fullmatch(r"-q+", a) for a in args)


# ----------------------------------------------------------------- checking


class Report:
    def __init__(self):
        self.problems = []
        self.rows = []  # (verdict, test, reference, tach, wanted, note)

    def problem(self, text):
        self.problems.append(text)

    @property
    def ok(self):
        return not self.problems


def compare_cases(ref_cases, tach_cases, expectations, compare_messages, report,
                  ref_label="pytest", tach_label="tach"):
    keys = sorted(set(ref_cases) | set(tach_cases))
    for key in keys:
        ref = ref_cases.get(key)
        got = tach_cases.get(key)
        anchor = got or ref
        exp = find_expectation(expectations, anchor)
        ref_cat = ref.category if ref else MISSING
        got_cat = got.category if got else MISSING
        if got is None:
            report.rows.append(("MISSING", key, ref_cat, got_cat, "-",
                                "%s ran it, %s did not report it" % (ref_label, tach_label)))
            report.problem("%s: missing from %s's report" % (key, tach_label))
            continue
        if ref is None:
            report.rows.append(("EXTRA", key, ref_cat, got_cat, "-",
                                "%s reported it, %s did not run it" % (tach_label, ref_label)))
            report.problem("%s: reported by %s but not by %s" % (key, tach_label, ref_label))
            continue
        allowed = exp.allowed if exp else (ref_cat,)
        wanted = "|".join(allowed)
        if got_cat not in allowed:
            note = ("--expect " + exp.spec) if exp else "outcomes differ"
            report.rows.append(("DIFF", key, ref_cat, got_cat, wanted, note))
            report.problem("%s: %s says %s, %s says %s (wanted %s)%s%s"
                           % (key, ref_label, ref_cat, tach_label, got_cat, wanted,
                              _first_message(ref, ref_label), _first_message(got, tach_label)))
            continue
        if exp is not None and ref_cat not in allowed:
            report.rows.append(("ok", key, ref_cat, got_cat, wanted, "expected difference"))
            continue
        if compare_messages and ref_cat != "passed" and exp is None:
            ref_msgs = ref.messages()
            got_msgs = got.messages()
            if ref_msgs != got_msgs:
                report.rows.append(("MESSAGE", key, ref_cat, got_cat, wanted,
                                    _message_diff(ref_msgs, got_msgs, ref_label, tach_label)))
                report.problem("%s: same outcome (%s) but different message" % (key, got_cat))
                continue
        report.rows.append(("ok", key, ref_cat, got_cat, wanted, ""))


def _first_message(case, label):
    """'\n  pytest's message: ...' for a problem line, or '' if there is none."""
    for _, message, text in case.details:
        line = (message or text).strip().split("\n")[0]
        if line:
            return "\n  %s's message: %s" % (label, line[:300])
    return ""


def _message_diff(ref_msgs, got_msgs, ref_label, tach_label):
    def fmt(msgs):
        return "; ".join("<%s> %r" % (tag, msg if len(msg) < 400 else msg[:400] + "...")
                         for tag, msg in msgs) or "(none)"
    return "\n      %s: %s\n      %s: %s" % (ref_label, fmt(ref_msgs), tach_label, fmt(got_msgs))


def check_alone(cases, expectations, report, label):
    """--tach-only / --pytest-only: expectations, everything else passed."""
    for key in sorted(cases):
        case = cases[key]
        exp = find_expectation(expectations, case)
        allowed = exp.allowed if exp else ("passed",)
        wanted = "|".join(allowed)
        note = ("--expect " + exp.spec) if exp else "default: passed"
        if case.category in allowed:
            report.rows.append(("ok", key, "-", case.category, wanted, note if exp else ""))
        else:
            report.rows.append(("DIFF", key, "-", case.category, wanted, note))
            report.problem("%s: %s says %s, wanted %s%s"
                           % (key, label, case.category, wanted, _first_message(case, label)))


def check_texts(cases, text_expectations, report, label):
    for te in text_expectations:
        matched = [c for c in cases.values()
                   if te.substr in c.key or te.substr in "%s.%s" % (c.classname, c.name)]
        if not matched:
            report.problem("--expect-text %s matched no test in %s's report" % (te.spec, label))
            continue
        for case in matched:
            if te.text not in case.all_text():
                shown = case.all_text().strip() or "(no failure/error/skipped text at all)"
                report.problem("%s: %s's failure text does not contain %r; it is:\n%s"
                               % (case.key, label, te.text, _indent(tail(shown, 40))))


def _indent(text, prefix="      "):
    return "\n".join(prefix + line for line in text.splitlines())


def check_unused(expectations, report):
    for e in expectations:
        if not e.used:
            report.problem("--expect %s matched no test (stale expectation or test not run)" % e.spec)


def print_table(report, ref_label, tach_label, verbose):
    rows = report.rows if verbose else [r for r in report.rows if r[0] != "ok"]
    if not rows:
        return
    width = min(max(len(r[1]) for r in rows), 70)
    print()
    print("%-8s %-*s %-9s %-9s %-18s %s" % ("verdict", width, "test", ref_label, tach_label,
                                            "wanted", "note"))
    print("%s %s %s %s %s %s" % ("-" * 8, "-" * width, "-" * 9, "-" * 9, "-" * 18, "-" * 20))
    for verdict, key, ref_cat, got_cat, wanted, note in rows:
        print("%-8s %-*s %-9s %-9s %-18s %s" % (verdict, width, key, ref_cat, got_cat, wanted, note))


def counts(cases):
    tally = {}
    for c in cases.values():
        tally[c.category] = tally.get(c.category, 0) + 1
    return ", ".join("%d %s" % (tally[c], c) for c in CATEGORIES if c in tally) or "no tests"


# --------------------------------------------------------------------- main


def build_parser():
    p = argparse.ArgumentParser(
        description="Run a pytest suite under tach and under pytest and compare the outcomes.",
        epilog="Values that start with '-' must be attached: --tach-arg=-k --tach-arg='a or b'.")
    p.add_argument("--tach", help="path of the tach CLI")
    p.add_argument("--python", required=True,
                   help="Python that has pytest; runs `PYTHON -m pytest` and is given to tach as --python")
    p.add_argument("--suite", required=True, help="suite directory (the cwd of both runs)")
    p.add_argument("--arg", action="append", default=[], metavar="X",
                   help="argument given to both tach and pytest (repeatable)")
    p.add_argument("--tach-arg", action="append", default=[], metavar="X",
                   help="argument given to tach only (repeatable)")
    p.add_argument("--pytest-arg", action="append", default=[], metavar="X",
                   help="argument given to pytest only (repeatable)")
    p.add_argument("--expect", action="append", default=[], metavar="SUBSTR=OUTCOME",
                   help="tach's outcome for tests whose name contains SUBSTR; "
                        "OUTCOME may list alternatives: crashed|failed")
    p.add_argument("--expect-text", action="append", default=[], metavar="SUBSTR=TEXT",
                   help="the failure/error/skip message or text of these tests contains TEXT")
    p.add_argument("--expect-exit", type=int, metavar="N",
                   help="tach's exit status (in compare mode pytest's too); "
                        "N=4 or 5 allows a missing or empty JUnit report")
    p.add_argument("--expect-output", action="append", default=[], metavar="TEXT",
                   help="tach's stdout+stderr contains TEXT")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--tach-only", action="store_true", help="do not run pytest")
    mode.add_argument("--pytest-only", action="store_true", help="do not run tach")
    mode.add_argument("--self-test", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--no-compare-messages", action="store_true",
                   help="compare outcome categories only, not failure messages")
    p.add_argument("--no-summary-check", action="store_true",
                   help="do not require pytest's summary line in tach's stdout")
    p.add_argument("--no-pass-python", action="store_true",
                   help="do not give --python PYTHON to tach")
    p.add_argument("--run-timeout", type=float, default=240.0, metavar="SECONDS",
                   help="kill a run that takes longer (default 240)")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory with the XML files")
    p.add_argument("-v", "--verbose", action="store_true", help="print every test, not only differences")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except HarnessError as e:
        print("\nHARNESS ERROR: %s" % e, flush=True)
        return 2


def run(args):
    suite = os.path.abspath(args.suite)
    if not os.path.isdir(suite):
        raise HarnessError("--suite %s is not a directory" % suite)
    if not args.pytest_only and not args.self_test:
        if not args.tach:
            raise HarnessError("--tach is required (except with --pytest-only / --self-test)")
        tach = args.tach if os.sep in args.tach else (shutil.which(args.tach) or args.tach)
        tach = os.path.abspath(tach)
        if not os.path.isfile(tach) or not (os.access(tach, os.X_OK) or tach.endswith(".py")):
            raise HarnessError("--tach %s is not an executable file" % args.tach)
    else:
        tach = None
    python = args.python
    if os.sep in python:
        python = os.path.abspath(python)
    need_pytest = not args.tach_only
    if need_pytest:
        probe = subprocess.run([python, "-c", "import pytest; print(pytest.__version__)"],
                               stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if probe.returncode != 0:
            raise HarnessError("%s cannot import pytest:\n%s" % (python, probe.stderr.strip()))
        print("pytest %s under %s" % (probe.stdout.strip(), python))

    expectations = [Expectation(s) for s in args.expect]
    text_expectations = [TextExpectation(s) for s in args.expect_text]
    # Internal error (3), usage error (4), no tests (5): there may be no
    # session, hence no report.
    allow_no_junit = args.expect_exit in (3, 4, 5)

    tmp = tempfile.mkdtemp(prefix="tach-e2e-")
    report = Report()
    mode = ("tach-only" if args.tach_only else "pytest-only" if args.pytest_only
            else "self-test" if args.self_test else "compare")
    print("suite %s, mode %s, temp dir %s" % (suite, mode, tmp), flush=True)
    runs = []
    try:
        ref_cases = tach_cases = None
        ref_run = tach_run = None
        ref_xml = os.path.join(tmp, "pytest.xml")
        tach_xml = os.path.join(tmp, "tach.xml")
        pytest_argv = [python, "-m", "pytest", "-p", "no:cacheprovider", "--junit-xml", ref_xml]
        pytest_argv += args.arg + args.pytest_arg

        if mode in ("compare", "pytest-only", "self-test"):
            ref_run = run_command("pytest", pytest_argv, suite, args.run_timeout)
            runs.append(ref_run)
            ref_cases = load_cases(ref_run, ref_xml, "pytest's JUnit XML", allow_no_junit, report)
        if mode in ("compare", "tach-only"):
            # A .py "tach" (the harness's own stand-in, selftest/fake_tach.py)
            # runs under this interpreter: no reliance on its shebang.
            tach_argv = [sys.executable, tach] if tach.endswith(".py") else [tach]
            tach_argv += ["--junit-xml", tach_xml]
            if not args.no_pass_python and "--python" not in args.tach_arg:
                tach_argv += ["--python", python]
            tach_argv += args.arg + args.tach_arg
            tach_run = run_command("tach", tach_argv, suite, args.run_timeout)
            runs.append(tach_run)
            tach_cases = load_cases(tach_run, tach_xml, "tach's JUnit XML", allow_no_junit, report)
        elif mode == "self-test":
            self_argv = [python, "-m", "pytest", "-p", "no:cacheprovider", "--junit-xml", tach_xml]
            self_argv += args.arg + args.pytest_arg
            tach_run = run_command("tach(self-test: pytest)", self_argv, suite, args.run_timeout)
            runs.append(tach_run)
            tach_cases = load_cases(tach_run, tach_xml, "second pytest's JUnit XML",
                                    allow_no_junit, report)

        subject_run = tach_run if tach_run is not None else ref_run
        subject_cases = tach_cases if tach_cases is not None else ref_cases
        subject = "tach" if mode in ("compare", "tach-only") else subject_run.label

        for r in runs:
            if r.timed_out:
                report.problem("%s did not finish within --run-timeout %gs and was killed"
                               % (r.label, args.run_timeout))

        # --- per-test outcomes
        if mode in ("compare", "self-test") and ref_cases is not None and tach_cases is not None:
            compare_cases(ref_cases, tach_cases, expectations, not args.no_compare_messages,
                          report, ref_label="pytest", tach_label=subject)
        elif subject_cases is not None:
            check_alone(subject_cases, expectations, report, subject)
        if subject_cases is not None:
            check_texts(subject_cases, text_expectations, report, subject)
            if not subject_cases and not allow_no_junit:
                report.problem("%s reported no tests at all: nothing was compared" % subject)
        check_unused(expectations, report)

        # --- exit status
        if args.expect_exit is not None:
            for r in runs:
                if r.returncode != args.expect_exit:
                    report.problem("%s exited with %s, wanted %d (--expect-exit)"
                                   % (r.label, r.returncode, args.expect_exit))
        elif mode in ("compare", "self-test"):
            if ref_run.returncode != tach_run.returncode:
                report.problem("exit status differs: pytest %s, %s %s"
                               % (ref_run.returncode, subject, tach_run.returncode))
        elif subject_cases is not None:
            wanted = 1 if any(c.category in FAILING for c in subject_cases.values()) else 0
            if subject_run.returncode != wanted:
                report.problem("%s exited with %s; with these outcomes it should be %d"
                               % (subject, subject_run.returncode, wanted))
        for r in runs:
            if r.returncode is not None and r.returncode < 0:
                report.problem("%s was killed by signal %d" % (r.label, -r.returncode))

        # --- output
        combined = subject_run.stdout + "\n" + subject_run.stderr
        for text in args.expect_output:
            if text not in combined:
                report.problem("%s's output does not contain %r" % (subject, text))
        if not args.no_summary_check and subject_run.returncode in (0, 1, 2):
            extra = args.arg + (args.tach_arg if tach is not None else args.pytest_arg)
            if find_summary_line(subject_run.stdout, is_quiet(extra)) is None:
                report.problem("%s's stdout has no summary line like "
                               "'===== 2 failed, 17 passed in 0.12s =====' (exit status %s)"
                               % (subject, subject_run.returncode))

        # --- verdict
        print()
        for label, cases, r in (("pytest", ref_cases, ref_run), (subject, tach_cases, tach_run)):
            if r is None:
                continue
            line = find_summary_line(r.stdout, True)
            print("%-8s exit %s in %.1fs: %s%s" % (
                label, r.returncode, r.seconds,
                counts(cases) if cases is not None else "no JUnit report",
                "   [summary: %s]" % line if line else ""))
        print_table(report, "pytest" if ref_run is not None and tach_run is not None else "-",
                    subject, args.verbose)
        if report.ok:
            print("\nOK: %d tests, no unexpected difference." % len(subject_cases or {}))
            return 0
        print("\nFAILED: %d problem(s):" % len(report.problems))
        for p in report.problems:
            print("  - " + p.replace("\n", "\n    "))
        print()
        for r in runs:
            show_output(r)
        return 1
    finally:
        if args.keep:
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def load_cases(run, path, what, allow_missing, report):
    """Parse a run's JUnit XML; a missing file is a problem unless allowed."""
    missing = not os.path.exists(path) or (allow_missing and os.path.getsize(path) == 0)
    if missing and (allow_missing or run.timed_out):
        if not allow_missing:
            report.problem("%s was not written (run killed)" % what)
        return {}
    try:
        return parse_junit_file(path, what)
    except HarnessError as e:
        report.problem("%s (exit status %s)" % (e, run.returncode))
        return None


if __name__ == "__main__":
    sys.exit(main())
