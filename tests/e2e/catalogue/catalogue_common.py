"""Shared by run_catalogue.py and pytest_must_leak.py (standard library only).

The state catalogue (tests/suites/catalogue) names its tests so that the kind
of state and the variant can be read off every JUnit <testcase>:

    classname  test_state_<kind>                     (the module)
    name       test_<variant>_pristine_then_dirty_<letter>

where <variant> starts with <kind> ("fds_dup2_over" in test_state_fds).  The
tests of one variant are identical: each asserts the pristine state, then
dirties it.
"""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

NAME_RE = re.compile(r"^test_(?P<variant>\w+?)_pristine_then_dirty_(?P<letter>[a-z])$")
MODULE_RE = re.compile(r"(?:^|\.)test_state_(?P<kind>\w+)$")

FAILING = ("failed", "error")


class HarnessError(Exception):
    """The meta-test could not do its job (as opposed to: a test misbehaved)."""


class Case:
    """One test of the catalogue, with its outcome."""

    def __init__(self, classname, name, outcome, message=""):
        self.classname = classname
        self.name = name
        self.outcome = outcome  # passed | failed | error | skipped
        self.message = message
        m = MODULE_RE.search(classname)
        n = NAME_RE.match(name)
        if not m or not n:
            raise HarnessError("test %s::%s does not follow the catalogue's naming "
                               "(test_state_<kind>.py::test_<variant>_pristine_then_dirty_<x>)"
                               % (classname, name))
        self.kind = m.group("kind")
        self.variant = n.group("variant")
        self.letter = n.group("letter")
        if not (self.variant == self.kind or self.variant.startswith(self.kind + "_")):
            raise HarnessError("test %s::%s: variant %r does not start with its kind %r"
                               % (classname, name, self.variant, self.kind))

    @property
    def nodeid(self):
        return "test_state_%s.py::%s" % (self.kind, self.name)

    def __repr__(self):
        return "<%s %s>" % (self.nodeid, self.outcome)


def parse_junit(path):
    """Cases of a JUnit XML file (pytest's or tach's), in file order.

    A test with several <testcase> elements (pytest writes a second one for
    a teardown error) is merged: error beats failed beats skipped beats passed.
    """
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise HarnessError("cannot read the JUnit XML report %s: %s" % (path, exc))
    rank = {"error": 0, "failed": 1, "skipped": 2, "passed": 3}
    merged = {}
    for tc in root.iter("testcase"):
        classname = tc.get("classname") or ""
        name = tc.get("name") or ""
        outcome, message = "passed", ""
        for child in tc:
            tag = {"failure": "failed", "error": "error", "skipped": "skipped"}.get(child.tag)
            if tag and rank[tag] < rank[outcome]:
                outcome, message = tag, child.get("message") or ""
        key = (classname, name)
        if key in merged:
            old = merged[key]
            if rank[outcome] < rank[old.outcome]:
                old.outcome, old.message = outcome, message
        else:
            if not classname and outcome == "error":
                raise HarnessError("collection error in the report: %s %s" % (name, message))
            merged[key] = Case(classname, name, outcome, message)
    return list(merged.values())


def group(cases):
    """{kind: {variant: [cases sorted by letter]}} in name order."""
    kinds = {}
    for case in cases:
        kinds.setdefault(case.kind, {}).setdefault(case.variant, []).append(case)
    for variants in kinds.values():
        for tests in variants.values():
            tests.sort(key=lambda c: c.letter)
    return {k: dict(sorted(v.items())) for k, v in sorted(kinds.items())}


def suite_kinds(suite_dir):
    """The kinds the suite's files declare (test_state_<kind>.py)."""
    kinds = []
    for entry in sorted(os.listdir(suite_dir)):
        m = re.match(r"^test_state_(\w+)\.py$", entry)
        if m:
            kinds.append(m.group(1))
    if not kinds:
        raise HarnessError("no test_state_*.py file in %s" % suite_dir)
    return kinds


def collect_nodeids(python, suite_dir, env=None, prefix=()):
    """Node ids of the suite as pytest collects them, in pytest's order."""
    cmd = list(prefix) + [python, "-m", "pytest", "--collect-only", "-q",
                          "-p", "no:cacheprovider"]
    proc = subprocess.run(cmd, cwd=suite_dir, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=120)
    ids = [line.strip() for line in proc.stdout.splitlines()
           if "::" in line and not line.startswith(" ")]
    if proc.returncode != 0 or not ids:
        raise HarnessError("collection with %s failed (exit %d):\n%s"
                           % (" ".join(cmd), proc.returncode, proc.stdout[-3000:]))
    return ids


def table(rows, headers):
    """Plain text table (list of tuples of str)."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    line = "  ".join("%-*s" % (w, h) for w, h in zip(widths, headers))
    out = [line.rstrip(), "  ".join("-" * w for w in widths)]
    for row in rows:
        out.append("  ".join("%-*s" % (w, c) for w, c in zip(widths, row)).rstrip())
    return "\n".join(out)


def short(message, width=70):
    message = " ".join((message or "").split())
    return message if len(message) <= width else message[:width - 3] + "..."


def die(message, code=2):
    print("error: %s" % message, file=sys.stderr)
    sys.exit(code)
