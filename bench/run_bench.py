#!/usr/bin/env python3
"""Tach benchmark: one generated pytest suite, run under every isolation mode.

    bench/run_bench.py [--tests 600] [--files 30] [--python /usr/bin/python3]
                       [--tach PATH] [--modes snapshot,fork,none,pytest,pytest-forked]
                       [--repeat N] [--trivial] [--smoke] [--keep DIR] [-v]

Generates a suite into a temporary directory (or --keep DIR): ~600 small
tests over ~30 files, a conftest.py that imports numpy and a dozen large
standard-library packages, tests doing small realistic work (arithmetic,
strings, a small numpy operation, dicts and lists, json, decimal, sqlite3,
xml, email, csv, a few with tmp_path, a few parametrized).  Then runs it once
per mode (--repeat N: N times, the median counts):

    snapshot       tach --isolation snapshot   (with --stats when tach has it)
    fork           tach --isolation fork
    none           tach --isolation none
    pytest         python -m pytest
    pytest-forked  python -m pytest --forked   (the pytest-forked plugin)
    snapshot-n2    tach --isolation snapshot -n 2   (two workers, one zygote)
    fork-n2        tach --isolation fork -n 2
    pytest-xdist-n2  python -m pytest -n 2     (pytest-xdist: two workers,
                   each collecting on its own)

The tach modes without -n2 run one worker (-n 1), the single-worker figures
they always were.  --parallel runs snapshot (-n 1), snapshot-n2, fork-n2,
pytest and pytest-xdist-n2 and prints the speed-up of two workers over one;
the -n2 runs come after a one-worker run of the same suite, so tach starts
the longest tests first from the durations it remembered (.tach/ in the
generated suite).

Every run must report all tests passed (checked in its JUnit XML), else the
benchmark stops with exit status 1.  It prints wall times, the per-test
overhead against plain pytest ((t_mode - t_pytest) / tests, ms), the ratio
to plain pytest and the speed-up against pytest --forked.

--trivial  the suite is 500 `def test_n(): pass` tests (no conftest imports):
           per-test overhead of each mode, and restore figures of a trivial
           test.
--smoke    20 tests, modes fork and none only, asserting all pass: quick
           enough for `meson test --suite bench-smoke`.

Standard library only.  Targets: see bench/README.md.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ALL_MODES = ("snapshot", "fork", "none", "pytest", "pytest-forked",
             "snapshot-n2", "fork-n2", "pytest-xdist-n2")
TACH_MODES = ("snapshot", "fork", "none", "snapshot-n2", "fork-n2")
# --parallel: one worker against two, for tach and for pytest (pytest-xdist).
PARALLEL_MODES = "snapshot,snapshot-n2,fork-n2,pytest,pytest-xdist-n2"

# ------------------------------------------------------------------ suite

CONFTEST = '''\
"""Benchmark conftest: a realistic import footprint (numpy, big stdlib packages)."""
import argparse
import asyncio
import concurrent.futures
import csv
import decimal
import email.message
import email.parser
import http.client
import json
import logging.handlers
import multiprocessing
import sqlite3
import ssl
import unittest.mock
import urllib.request
import xml.etree.ElementTree
{numpy_import}
import pytest

SSL_CONTEXT = ssl.create_default_context()
PARSER = argparse.ArgumentParser(prog="bench")
PARSER.add_argument("--size", type=int, default=3)


@pytest.fixture(scope="session")
def catalogue():
    return {{"item-%d" % i: i * 3 for i in range(200)}}


@pytest.fixture
def sample_rows():
    return [{{"id": i, "name": "row%d" % i, "score": (i * 37) % 101}} for i in range(50)]
'''

FILE_HEADER = '''\
"""Generated benchmark tests, file {index}."""
import asyncio
import collections
import csv
import dataclasses
import decimal
import email.message
import email.parser
import hashlib
import io
import json
import re
import sqlite3
import textwrap
import unittest.mock
import xml.etree.ElementTree as ET
{numpy_import}
import pytest


@pytest.fixture(scope="module")
def table():
    return {{k: k * k for k in range(100)}}


@dataclasses.dataclass(order=True)
class Item:
    priority: int
    name: str = dataclasses.field(compare=False)

'''

# Each template is (tests it adds, source).  {n} is a unique number.
TEMPLATES = [
    (1, '''
def test_arithmetic_{n}():
    k = {n} % 50 + 10
    assert sum(i * i for i in range(k)) == (k - 1) * k * (2 * k - 1) // 6
'''),
    (1, '''
def test_strings_{n}():
    words = ("alpha beta gamma delta {n} epsilon " * 4).split()
    joined = "-".join(w.upper() for w in words)
    assert joined.count("-") == len(words) - 1
    assert "{n}" in joined and joined[::-1][::-1] == joined
'''),
    (1, '''
def test_numpy_{n}():
    if np is None:
        pytest.skip("numpy is not installed")
    a = np.arange(64, dtype=np.float64).reshape(8, 8)
    assert float((a @ np.eye(8)).sum()) == float(a.sum())
    assert int(np.argmax(a[{n} % 8])) == 7
'''),
    (1, '''
def test_counter_{n}(table):
    text = "the quick brown fox jumps over the lazy dog the end {n}"
    counts = collections.Counter(text.split())
    assert counts["the"] == 3
    merged = dict(table)
    merged[1000 + {n}] = {n}
    assert len(merged) == 101 and min(merged) == 0 and merged[99] == 9801
'''),
    (1, '''
def test_json_{n}(sample_rows):
    blob = json.dumps(sample_rows, sort_keys=True)
    back = json.loads(blob)
    assert back == sample_rows
    assert max(r["score"] for r in back) <= 100
'''),
    (1, '''
def test_decimal_{n}():
    ctx = decimal.Context(prec=30)
    total = sum((decimal.Decimal("0.1") for _ in range(10)), decimal.Decimal(0))
    assert total == decimal.Decimal("1.0")
    third = ctx.divide(decimal.Decimal({n} + 1), decimal.Decimal(3))
    assert abs(third * 3 - ({n} + 1)) < decimal.Decimal("1e-25")
'''),
    (1, '''
def test_tmp_path_{n}(tmp_path):
    p = tmp_path / "data-{n}.txt"
    p.write_text("\\n".join(str(i) for i in range(100)))
    assert sum(int(x) for x in p.read_text().split()) == 4950
'''),
    (3, '''
@pytest.mark.parametrize("value, expected", [(1, 1), (4, 2), (9, 3)])
def test_param_{n}(value, expected):
    assert int(value ** 0.5) == expected
'''),
    (1, '''
def test_regex_{n}():
    rx = re.compile(r"(?P<key>\\w+)=(?P<value>\\d+)")
    pairs = dict(m.group("key", "value") for m in rx.finditer("a=1 b=22 c={n}"))
    assert pairs == {{"a": "1", "b": "22", "c": "{n}"}}
'''),
    (1, '''
def test_dataclass_sort_{n}():
    items = [Item((i * 7919) % 97, "item%d" % i) for i in range(60)]
    items.sort()
    assert [i.priority for i in items] == sorted(i.priority for i in items)
'''),
    (1, '''
def test_email_{n}():
    msg = email.message.EmailMessage()
    msg["Subject"] = "report {n}"
    msg["To"] = "team@example.org"
    msg.set_content("body line\\n" * 5)
    parsed = email.parser.Parser().parsestr(msg.as_string())
    assert parsed["Subject"] == "report {n}"
'''),
    (1, '''
def test_xml_{n}():
    root = ET.Element("inventory")
    for i in range(20):
        ET.SubElement(root, "item", sku="s%d" % i, qty=str(i))
    text = ET.tostring(root)
    assert sum(int(e.get("qty")) for e in ET.fromstring(text)) == 190
'''),
    (1, '''
def test_sqlite_{n}():
    db = sqlite3.connect(":memory:")
    db.execute("create table t (k integer, v text)")
    db.executemany("insert into t values (?, ?)", [(i, "v%d" % i) for i in range(30)])
    assert db.execute("select sum(k) from t").fetchone()[0] == 435
    db.close()
'''),
    (1, '''
def test_csv_{n}(sample_rows):
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["id", "name", "score"])
    writer.writeheader()
    writer.writerows(sample_rows)
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert len(rows) == 50 and rows[3]["name"] == "row3"
'''),
    (1, '''
def test_hash_{n}():
    digest = hashlib.sha256(("payload-{n}" * 10).encode()).hexdigest()
    assert len(digest) == 64 and int(digest, 16) > 0
'''),
    (1, '''
def test_mock_{n}():
    service = unittest.mock.Mock()
    service.fetch.return_value = {{"id": {n}}}
    assert service.fetch("x")["id"] == {n}
    service.fetch.assert_called_once_with("x")
'''),
    (1, '''
def test_asyncio_{n}():
    async def double(x):
        await asyncio.sleep(0)
        return 2 * x

    async def main():
        return await asyncio.gather(*(double(i) for i in range(5)))

    assert asyncio.run(main()) == [0, 2, 4, 6, 8]
'''),
    (1, '''
def test_textwrap_{n}(catalogue):
    text = textwrap.fill(" ".join(sorted(catalogue)[:30]), width=40)
    assert all(len(line) <= 40 for line in text.splitlines())
    assert catalogue["item-{n_mod}"] == {n_mod} * 3
'''),
]

TRIVIAL_TEST = '''
def test_{n}():
    pass
'''


def python_has(python, module):
    return subprocess.run([python, "-c", "import %s" % module], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def generate(directory, n_tests, n_files, trivial, numpy_ok):
    """Write the suite; return the number of tests pytest will collect."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "pytest.ini"), "w") as f:
        f.write("[pytest]\npython_files = test_*.py\n")
    numpy_import = ("import numpy as np" if numpy_ok else "np = None  # numpy not installed")
    if not trivial:
        with open(os.path.join(directory, "conftest.py"), "w") as f:
            f.write(CONFTEST.format(numpy_import=numpy_import))
    per_file = [n_tests // n_files + (1 if i < n_tests % n_files else 0) for i in range(n_files)]
    total = 0
    serial = 0
    for index, quota in enumerate(per_file):
        if quota == 0:
            continue
        parts = [] if trivial else [FILE_HEADER.format(index=index, numpy_import=numpy_import)]
        count = 0
        t = index  # each file starts at another template
        while count < quota:
            if trivial:
                parts.append(TRIVIAL_TEST.format(n=serial))
                count += 1
            else:
                adds, source = TEMPLATES[t % len(TEMPLATES)]
                t += 1
                if count + adds > quota:
                    continue  # a parametrized one would overshoot: take the next
                parts.append(source.format(n=serial, n_mod=serial % 200))
                count += adds
            serial += 1
        with open(os.path.join(directory, "test_bench_%02d.py" % index), "w") as f:
            f.write("".join(parts))
        total += count
    return total


# ------------------------------------------------------------------ runs

class RunError(Exception):
    pass


class StatsUnsupported(Exception):
    """tach rejected --stats (usage error naming it)."""


def junit_counts(path):
    root = ET.parse(path).getroot()
    counts = {"tests": 0, "passed": 0, "failed": 0, "skipped": 0}
    bad = []
    for tc in root.iter("testcase"):
        counts["tests"] += 1
        tags = [child.tag for child in tc if child.tag in ("failure", "error", "skipped")]
        if "failure" in tags or "error" in tags:
            counts["failed"] += 1
            bad.append("%s::%s" % (tc.get("classname"), tc.get("name")))
        elif "skipped" in tags:
            counts["skipped"] += 1
        else:
            counts["passed"] += 1
    return counts, bad


def command(mode, args, junit, use_stats):
    common = ["-q", "-p", "no:cacheprovider", "--junit-xml", junit]
    if mode in TACH_MODES:
        tach = [sys.executable, args.tach] if args.tach.endswith(".py") else [args.tach]
        isolation, _, workers = mode.partition("-n")
        cmd = tach + ["--python", args.python, "--isolation", isolation, "-n", workers or "1"] + common
        if mode == "snapshot" and use_stats:
            cmd.append("--stats")
        return cmd
    cmd = [args.python, "-m", "pytest"] + common
    if mode == "pytest-forked":
        cmd.append("--forked")
    if mode == "pytest-xdist-n2":
        cmd += ["-n", "2"]
    return cmd


def run_once(mode, args, suite, tmp, expected, use_stats):
    junit = os.path.join(tmp, "junit-%s.xml" % mode)
    if os.path.exists(junit):
        os.unlink(junit)
    cmd = command(mode, args, junit, use_stats)
    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTEST_ADDOPTS", None)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=suite, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=args.timeout)
    elapsed = time.perf_counter() - start
    if args.verbose:
        print("$ " + " ".join(cmd))
        print(proc.stdout)
    if use_stats and mode == "snapshot" and proc.returncode == 4 and "--stats" in proc.stdout:
        raise StatsUnsupported()
    if not os.path.exists(junit):
        raise RunError("%s: exit %d, no JUnit report; output:\n%s"
                       % (mode, proc.returncode, proc.stdout[-4000:]))
    counts, bad = junit_counts(junit)
    if proc.returncode != 0 or counts["failed"] or counts["passed"] + counts["skipped"] != expected:
        raise RunError("%s: exit %d, %r (expected %d tests, all passing); failing: %s\n%s"
                       % (mode, proc.returncode, counts, expected, ", ".join(bad[:10]),
                          proc.stdout[-4000:]))
    return elapsed, counts, stats_block(proc.stdout)


def stats_block(output):
    """The lines of tach's --stats section ("== tach isolation statistics ==")."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^=+ .*statistics.* =+$", line.strip()):
            block = []
            for follow in lines[i + 1:]:
                if not follow.strip() or re.match(r"^=+ |^\d+ passed|.* in [\d.]+s", follow.strip()):
                    break
                block.append(follow.strip())
            return block
    # Older form: loose "restore: ..." lines.
    return [line.strip() for line in lines if re.match(r"^\s*(restore|pages)\b.*:", line)]


def fmt_ratio(x):
    return "-" if x is None else "%.2fx" % x


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tests", type=int, default=None, help="number of tests (default 600; 500 with --trivial)")
    ap.add_argument("--files", type=int, default=None, help="number of test files (default 30; 10 with --trivial)")
    ap.add_argument("--python", default="/usr/bin/python3", help="interpreter with pytest")
    ap.add_argument("--tach", default=None, help="the tach CLI (default: build/src/cli/tach)")
    ap.add_argument("--modes", default=",".join(ALL_MODES), help="comma-separated, from: " + ", ".join(ALL_MODES))
    ap.add_argument("--repeat", type=int, default=1, help="runs per mode; the median counts")
    ap.add_argument("--trivial", action="store_true", help="500 trivial tests, no conftest imports")
    ap.add_argument("--smoke", action="store_true", help="20 tests, fork and none, all must pass")
    ap.add_argument("--parallel", action="store_true",
                    help="modes " + PARALLEL_MODES + ": two workers against one")
    ap.add_argument("--keep", metavar="DIR", help="generate the suite into DIR and keep it")
    ap.add_argument("--timeout", type=float, default=900, help="limit per run (s)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every run's output")
    args = ap.parse_args()

    if args.smoke:
        args.tests = args.tests or 20
        args.files = args.files or 2
        if args.modes == ",".join(ALL_MODES):
            args.modes = "fork,none"
    if args.parallel and args.modes == ",".join(ALL_MODES):
        args.modes = PARALLEL_MODES
    default_tests, default_files = (500, 10) if args.trivial else (600, 30)
    args.tests = args.tests or default_tests
    args.files = min(args.files or default_files, args.tests)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in ALL_MODES]
    if unknown:
        ap.error("unknown mode(s): %s" % ", ".join(unknown))
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")

    notes = []
    if any(m in TACH_MODES for m in modes):
        if args.tach is None:
            args.tach = os.path.join(ROOT, "build", "src", "cli", "tach")
        args.tach = os.path.abspath(args.tach)
        if not os.access(args.tach, os.X_OK):
            if args.smoke:
                print("error: tach not found at %s (--tach PATH)" % args.tach, file=sys.stderr)
                return 2
            notes.append("tach not found at %s: skipping %s" % (
                args.tach, ", ".join(m for m in modes if m in TACH_MODES)))
            modes = [m for m in modes if m not in TACH_MODES]
    if "pytest-forked" in modes and not python_has(args.python, "pytest_forked"):
        notes.append("pytest-forked is not installed for %s (Debian: python3-pytest-forked): "
                     "skipping that mode" % args.python)
        modes.remove("pytest-forked")
    if "pytest-xdist-n2" in modes and not python_has(args.python, "xdist"):
        notes.append("pytest-xdist is not installed for %s (Debian: python3-pytest-xdist): "
                     "skipping that mode" % args.python)
        modes.remove("pytest-xdist-n2")
    if not modes:
        print("nothing to run: " + "; ".join(notes))
        return 2
    numpy_ok = args.trivial or python_has(args.python, "numpy")
    if not numpy_ok:
        notes.append("numpy is not installed for %s (Debian: python3-numpy): the suite "
                     "runs without it (its numpy tests skip)" % args.python)
    use_stats = "snapshot" in modes  # dropped if tach rejects it

    tmp = tempfile.mkdtemp(prefix="tach-bench-")
    suite = os.path.abspath(args.keep) if args.keep else os.path.join(tmp, "suite")
    try:
        n = generate(suite, args.tests, args.files, args.trivial, numpy_ok)
        kind = "trivial" if args.trivial else ("smoke" if args.smoke else "realistic")
        print("suite: %d %s tests in %d files at %s; python %s" % (n, kind, args.files, suite, args.python))
        for note in notes:
            print("note: " + note)
        if n != args.tests:
            print("note: %d tests generated (asked for %d)" % (n, args.tests))

        results = {}
        stats_lines = []
        for mode in modes:
            times = []
            for r in range(args.repeat):
                try:
                    try:
                        elapsed, counts, stats = run_once(mode, args, suite, tmp, n, use_stats)
                    except StatsUnsupported:
                        use_stats = False
                        print("note: tach does not accept --stats: no restore statistics")
                        elapsed, counts, stats = run_once(mode, args, suite, tmp, n, use_stats)
                except RunError as exc:
                    print("FAIL: " + str(exc), file=sys.stderr)
                    return 1
                except subprocess.TimeoutExpired:
                    print("FAIL: %s took longer than %gs" % (mode, args.timeout), file=sys.stderr)
                    return 1
                times.append(elapsed)
                if stats:
                    stats_lines = stats
                print("  %-14s run %d/%d: %.2fs (%d passed, %d skipped)"
                      % (mode, r + 1, args.repeat, elapsed, counts["passed"], counts["skipped"]))
            results[mode] = statistics.median(times)

        print()
        base = results.get("pytest")
        forked = results.get("pytest-forked")
        rows = []
        for mode in modes:
            t = results[mode]
            overhead = "-" if base is None else "%+.2f" % ((t - base) / n * 1000.0)
            rows.append((mode, "%.2f" % t, "%.2f" % (t / n * 1000.0), overhead,
                         fmt_ratio(t / base if base else None),
                         fmt_ratio(forked / t if forked else None)))
        headers = ("mode", "wall s", "ms/test", "overhead ms/test vs pytest",
                   "x pytest", "speed-up vs --forked")
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
        print("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
        print("  ".join("-" * w for w in widths))
        for r in rows:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
        if args.repeat > 1:
            print("(median of %d runs per mode)" % args.repeat)
        if stats_lines:
            print()
            print("tach --stats (snapshot):")
            for line in stats_lines:
                print("  " + line)

        if args.smoke:
            print()
            print("OK: all %d tests passed under %s" % (n, ", ".join(modes)))
            return 0
        parallel_figures(results)
        targets(results, stats_lines, args.trivial)
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # --keep DIR lies outside it


def targets(results, stats_lines, trivial):
    """Print the targets of bench/README.md against the figures (informative)."""
    snap = results.get("snapshot")
    if snap is None:
        return
    print()
    print("targets (bench/README.md):")
    base, forked = results.get("pytest"), results.get("pytest-forked")
    if base:
        ratio = snap / base
        print("  snapshot whole run <= 1.5x plain pytest: %.2fx  %s" % (ratio, "met" if ratio <= 1.5 else "MISSED"))
    if forked:
        speed = forked / snap
        print("  snapshot >= 8x faster than pytest --forked: %.1fx  %s" % (speed, "met" if speed >= 8 else "MISSED"))
    median = restore_median_us(stats_lines)
    if trivial and median is not None:
        print("  restore median <= 200 us (trivial test): %.0f us  %s"
              % (median, "met" if median <= 200 else "MISSED"))
    elif median is not None:
        print("  restore median %.0f us (the 200 us target is for --trivial)" % median)


def parallel_figures(results):
    """Two workers against one, for tach and for pytest-xdist."""
    lines = []
    for two, one, name in (("snapshot-n2", "snapshot", "tach snapshot -n 2 vs -n 1"),
                           ("fork-n2", "snapshot", "tach fork -n 2 vs snapshot -n 1"),
                           ("pytest-xdist-n2", "pytest", "pytest -n 2 (xdist) vs pytest")):
        if two in results and one in results:
            lines.append("  %s: %.2fx faster" % (name, results[one] / results[two]))
    if "snapshot-n2" in results and "pytest-xdist-n2" in results:
        lines.append("  tach snapshot -n 2 vs pytest -n 2: %.2fx faster"
                     % (results["pytest-xdist-n2"] / results["snapshot-n2"]))
    if lines:
        print()
        print("parallel runs:")
        for line in lines:
            print(line)


def restore_median_us(stats_lines):
    """The restore median in µs from tach's --stats lines, e.g.
    "restore time per test (µs): median 1099.4, p90 ..." or
    "restore: median 150 us, p99 400 us"."""
    for line in stats_lines:
        if not line.lower().startswith("restore"):
            continue
        m = re.search(r"median\s+([\d.]+)\s*(us|µs|ms)?", line)
        if not m:
            continue
        unit = m.group(2)
        if unit is None:
            u = re.search(r"\((us|µs|ms)\)", line)
            unit = u.group(1) if u else "us"
        return float(m.group(1)) * (1000.0 if unit == "ms" else 1.0)
    return None


if __name__ == "__main__":
    sys.exit(main())
