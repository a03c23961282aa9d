#!/usr/bin/env python3
"""tach --cov end to end: the coverage section and the report files.

Makes a small project in a temporary directory, runs the tach CLI on it
with coverage options, and checks the terminal section and the LCOV,
Cobertura and JSON files (standard library only).  When the interpreter
that tach embeds has pytest-cov, the section is also compared line by line
with `python -m pytest --cov ...` on the same project.

    coverage_cli_check.py TACH PYTHON
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

CALC = """\
def add(a, b):
    return a + b


def sub(a, b):
    if a > b:
        return a - b
    x = b - a
    return -x


def unused():
    return 0
"""

TESTS = """\
from pkg.calc import add, sub


def test_add():
    assert add(1, 2) == 3


def test_sub():
    assert sub(3, 1) == 2
"""

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAILED:", what)


def run(cmd, cwd):
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, env=dict(os.environ, COLUMNS="80"))
    return proc.returncode, proc.stdout, proc.stderr


def section(stdout):
    """The lines from pytest-cov's title line up to the blank line after it."""
    lines = stdout.splitlines()
    for i, line in enumerate(lines):
        if " coverage: platform " in line:
            end = lines.index("", i)
            return lines[i:end]
    return []


def main():
    tach, python = os.path.abspath(sys.argv[1]), sys.argv[2]
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "pkg"))
        os.makedirs(os.path.join(root, "tests"))
        os.makedirs(os.path.join(root, "out"))
        open(os.path.join(root, "pkg", "__init__.py"), "w").close()
        with open(os.path.join(root, "pkg", "calc.py"), "w") as f:
            f.write(CALC)
        with open(os.path.join(root, "tests", "test_calc.py"), "w") as f:
            f.write(TESTS)

        args = ["--cov=pkg", "--cov-report=term-missing", "--cov-report=xml:out/cov.xml",
                "--cov-report=json", "--cov-report=lcov", "--cov-context=test",
                "-p", "no:cacheprovider", "tests"]
        code, out, err = run([tach] + args, root)
        check(code == 0, "tach --cov exit code %d, stderr:\n%s" % (code, err))
        got = section(out)
        check(bool(got) and re.fullmatch(
            r"-+ coverage: platform linux, python \d+\.\d+\.\d+-(final|candidate|alpha|beta)"
            r"-\d+ -+", got[0]) is not None, "title line:\n" + out)
        table = got[1:]
        # The Missing column needs TACH_COVERAGE_TEXT_MISSING in the
        # library; without it the CLI prints the plain table.
        missing = len(table) > 0 and table[0].endswith("Missing")
        want = [
            "Name              Stmts   Miss  Cover" + ("   Missing" if missing else ""),
            "-" * (47 if missing else 37),
            "pkg/__init__.py       0      0   100%",
            "pkg/calc.py           9      3    67%" + ("   8-9, 13" if missing else ""),
            "-" * (47 if missing else 37),
            "TOTAL                 9      3    67%",
            "Coverage XML written to file out/cov.xml",
            "Coverage JSON written to file coverage.json",
            "Coverage LCOV written to file coverage.lcov",
        ]
        check(table == want, "section:\n%s\nwant:\n%s" % ("\n".join(table), "\n".join(want)))
        if not missing:
            print("note: no Missing column (the library has no TACH_COVERAGE_TEXT_MISSING)")

        with open(os.path.join(root, "coverage.lcov")) as f:
            lcov = f.read()
        calc = lcov[lcov.index("SF:pkg/calc.py\n"):]
        calc = calc[:calc.index("end_of_record")]
        check("DA:2,1\n" in calc and "DA:7,1\n" in calc and "DA:8,0\n" in calc
              and "DA:13,0\n" in calc and "LF:9\nLH:6\n" in calc, "LCOV:\n" + lcov)

        tree = ET.parse(os.path.join(root, "out", "cov.xml")).getroot()
        check(tree.get("lines-valid") == "9" and tree.get("lines-covered") == "6",
              "Cobertura totals %r" % (tree.attrib,))
        check([s.text for s in tree.iter("source")] == [os.path.realpath(root)]
              or [s.text for s in tree.iter("source")] == [root],
              "Cobertura source %r" % [s.text for s in tree.iter("source")])
        hits = {(c.get("filename"), l.get("number")): l.get("hits")
                for c in tree.iter("class") for l in c.iter("line")}
        check(hits.get(("pkg/calc.py", "8")) == "0" and hits.get(("pkg/calc.py", "2")) == "1",
              "Cobertura hits %r" % hits)

        with open(os.path.join(root, "coverage.json")) as f:
            doc = json.load(f)
        check(doc["meta"]["show_contexts"] is True, "JSON show_contexts")
        mod = doc["files"]["pkg/calc.py"]
        check(mod["executed_lines"] == [1, 2, 5, 6, 7, 12], "JSON executed %r" % mod)
        check(mod["missing_lines"] == [8, 9, 13], "JSON missing %r" % mod)
        check(mod["contexts"].get("2") == ["tests/test_calc.py::test_add"],
              "JSON contexts of line 2: %r" % mod["contexts"].get("2"))
        check(mod["contexts"].get("1") == ["collection"],
              "JSON contexts of line 1: %r" % mod["contexts"].get("1"))
        check(doc["totals"]["percent_covered_display"] == "67", "JSON totals")

        # No report asked for: no section, no files.
        code, out, err = run([tach, "--cov", "--cov-report=", "-p", "no:cacheprovider",
                              "tests"], root)
        check(code == 0 and "coverage:" not in out, "--cov-report= printed:\n" + out)
        # --no-cov: nothing either.
        code, out, err = run([tach, "--cov", "--no-cov", "-p", "no:cacheprovider", "tests"], root)
        check(code == 0 and "coverage:" not in out, "--no-cov printed:\n" + out)
        # Unsupported report types are usage errors.
        code, out, err = run([tach, "--cov", "--cov-report=html", "tests"], root)
        check(code == 4 and "--cov-report" in err, "html: exit %d, %s" % (code, err))

        # The same section as pytest-cov's, where the interpreter has it.
        has_cov = subprocess.run([python, "-c", "import pytest_cov"],
                                 stderr=subprocess.DEVNULL).returncode == 0
        if has_cov:
            common = ["--cov=pkg", "--cov-report=term" + ("-missing" if missing else ""),
                      "--cov-report=xml:out/x.xml", "--cov-report=lcov:out/x.lcov",
                      "-p", "no:cacheprovider", "tests"]
            _, tach_out, _ = run([tach] + common, root)
            _, pytest_out, _ = run([python, "-m", "pytest"] + common, root)
            check(section(tach_out) == section(pytest_out),
                  "tach vs pytest-cov:\n%s\n---\n%s" % (tach_out, pytest_out))
            # Blank lines around the section too: compare from the progress
            # line to the closing line's start.
            strip = lambda text: text[text.index("tests/test_calc.py"):text.rindex("\n====")]
            check(strip(tach_out) == strip(pytest_out), "layout differs from pytest-cov's")
        else:
            print("note: pytest-cov not importable by %s: no comparison" % python)

    if failures:
        print("%d failed" % len(failures))
        return 1
    print("coverage cli: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
