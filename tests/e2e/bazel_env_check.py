#!/usr/bin/env python3
"""Check tach's support for Bazel's test-encyclopedia environment variables.

Runs the tach CLI in SUITE (e.g. tests/suites/features or examples/demo),
each time with one of the variables `bazel test` sets, in a temporary
directory, and checks the effect:

  XML_OUTPUT_FILE         the JUnit XML is written there; --junit-xml wins
  TESTBRIDGE_TEST_ONLY    a -k style value and a node id / path value select
                          exactly the tests the explicit arguments select
  TEST_TOTAL_SHARDS / TEST_SHARD_INDEX
                          2 shards partition the tests (union = all, no
                          overlap); TEST_SHARD_STATUS_FILE touched; bad
                          values are a usage error (exit 4)
  TEST_PREMATURE_EXIT_FILE
                          there while the tests run, gone after a clean exit
  TEST_INFRASTRUCTURE_FAILURE_FILE
                          written when the worker cannot start (exit 3)
  TEST_TMPDIR             tmp_path and tempfile lie under it (a tiny suite
                          generated here)
  TEST_UNDECLARED_OUTPUTS_DIR
                          tach-report.json there lists every test with the
                          outcome the JUnit XML gives it
  COVERAGE_DIR / COVERAGE_OUTPUT_FILE / COVERAGE_MANIFEST
                          (a tiny project behind a runfiles-like tree of
                          symlinks) coverage turns on without --cov; LCOV in
                          COVERAGE_DIR/tach_lcov.dat and COVERAGE_OUTPUT_FILE
                          holds only the manifest's files, named as there,
                          with the right hit lines; no table in the output;
                          tach-coverage-contexts.json in the undeclared
                          outputs names the test that ran each line

Usage:  bazel_env_check.py --tach TACH --suite SUITE_DIR [--tach-arg ARG ...]
Standard library only.  The environment (TACH_WORKER, TACH_SHIM_DIR, ...) is
passed on to tach, minus any Bazel variables it may already hold.
"""
import argparse
import collections
import json
import os
import shutil
import sys
import tempfile
import textwrap
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import check, finish, junit_cases, run as run_command  # noqa: E402

BAZEL_VARS = (
    "XML_OUTPUT_FILE", "TESTBRIDGE_TEST_ONLY", "TEST_TOTAL_SHARDS",
    "TEST_SHARD_INDEX", "TEST_SHARD_STATUS_FILE", "TEST_PREMATURE_EXIT_FILE",
    "TEST_INFRASTRUCTURE_FAILURE_FILE", "TEST_TMPDIR", "TEST_UNDECLARED_OUTPUTS_DIR",
    "COVERAGE_DIR", "COVERAGE_OUTPUT_FILE", "COVERAGE_MANIFEST",
)


class Runner:
    def __init__(self, tach, tach_args, timeout=240):
        self.tach = tach
        self.tach_args = list(tach_args)
        self.timeout = timeout
        self.base_env = {k: v for k, v in os.environ.items() if k not in BAZEL_VARS}

    def run(self, cwd, args=(), env=None):
        full_env = dict(self.base_env)
        full_env.update(env or {})
        cmd = [self.tach] + self.tach_args + list(args)
        return run_command(cmd, cwd, full_env, timeout=self.timeout)


def collected_nodeids(runner, suite):
    rc, out = runner.run(suite, ["--collect-only", "-q"])
    return rc, nodeid_lines(out)


def nodeid_lines(out):
    """The node ids that `tach --collect-only -q` lists, one a line."""
    return [line for line in out.splitlines()
            if "::" in line and not line[:1].isspace() and not line.startswith(("ERROR", "="))]


def check_xml_output(runner, suite, tmp):
    xml = os.path.join(tmp, "xml", "test.xml")
    os.makedirs(os.path.dirname(xml))
    rc, out = runner.run(suite, env={"XML_OUTPUT_FILE": xml})
    check(rc in (0, 1), "XML_OUTPUT_FILE: tach ran (exit %d)" % rc)
    if check(os.path.isfile(xml), "XML_OUTPUT_FILE: JUnit XML written to %s" % xml):
        check(sum(junit_cases(xml).values()) > 0, "XML_OUTPUT_FILE: the XML has test cases")
    explicit = os.path.join(tmp, "xml", "explicit.xml")
    os.unlink(xml)
    rc, out = runner.run(suite, ["--junit-xml", explicit], env={"XML_OUTPUT_FILE": xml})
    check(os.path.isfile(explicit) and not os.path.exists(xml),
          "XML_OUTPUT_FILE: an explicit --junit-xml wins")


def check_filter(runner, suite, tmp, all_cases, nodeids):
    d = os.path.join(tmp, "filter")
    os.makedirs(d)
    total = sum(all_cases.values())

    # A -k style value: the first test's function name.
    keyword = nodeids[0].split("::")[-1].split("[")[0]
    want, got = os.path.join(d, "k-want.xml"), os.path.join(d, "k-got.xml")
    runner.run(suite, ["--junit-xml", want, "-k", keyword])
    runner.run(suite, ["--junit-xml", got], env={"TESTBRIDGE_TEST_ONLY": keyword})
    if check(os.path.isfile(want) and os.path.isfile(got),
             "TESTBRIDGE_TEST_ONLY=%s: JUnit written" % keyword):
        w, g = junit_cases(want), junit_cases(got)
        check(w == g and 0 < sum(g.values()) < total,
              "TESTBRIDGE_TEST_ONLY=%s selects what -k selects (%d of %d; -k: %d)"
              % (keyword, sum(g.values()), total, sum(w.values())))

    # Node ids and a path, comma-separated.
    first_file = nodeids[0].split("::")[0]
    other_files = [n.split("::")[0] for n in nodeids if n.split("::")[0] != first_file]
    targets = [nodeids[0]] + ([other_files[-1]] if other_files else [])
    value = ",".join(targets)
    want, got = os.path.join(d, "ids-want.xml"), os.path.join(d, "ids-got.xml")
    runner.run(suite, ["--junit-xml", want] + targets)
    runner.run(suite, ["--junit-xml", got], env={"TESTBRIDGE_TEST_ONLY": value})
    if check(os.path.isfile(want) and os.path.isfile(got),
             "TESTBRIDGE_TEST_ONLY=%s: JUnit written" % value):
        w, g = junit_cases(want), junit_cases(got)
        check(w == g and 0 < sum(g.values()) <= total,
              "TESTBRIDGE_TEST_ONLY=%s selects those node ids/paths (%d; explicit: %d)"
              % (value, sum(g.values()), sum(w.values())))


def check_shards(runner, suite, tmp, all_cases, nodeids):
    d = os.path.join(tmp, "shards")
    os.makedirs(d)
    shard_cases = []
    for index in (0, 1):
        xml = os.path.join(d, "shard%d.xml" % index)
        status = os.path.join(d, "status%d" % index)
        rc, out = runner.run(suite, env={
            "TEST_TOTAL_SHARDS": "2", "TEST_SHARD_INDEX": str(index),
            "TEST_SHARD_STATUS_FILE": status, "XML_OUTPUT_FILE": xml})
        check(rc in (0, 1), "shard %d/2: tach ran (exit %d)" % (index, rc))
        check(os.path.isfile(status), "shard %d/2: TEST_SHARD_STATUS_FILE touched" % index)
        shard_cases.append(junit_cases(xml) if os.path.isfile(xml) else collections.Counter())
        # collect-only lists this shard's node ids: i % 2 == index.
        rc, out = runner.run(suite, ["--collect-only", "-q"], env={
            "TEST_TOTAL_SHARDS": "2", "TEST_SHARD_INDEX": str(index)})
        ids = nodeid_lines(out)
        check(ids == nodeids[index::2],
              "shard %d/2: --collect-only lists tests %d, %d, ... of collection order"
              % (index, index, index + 2))
    a, b = shard_cases
    check(not (set(a) & set(b)), "shards: no test in both shards")
    check(a + b == all_cases, "shards: together exactly all tests (%d + %d = %d)"
          % (sum(a.values()), sum(b.values()), sum(all_cases.values())))
    check(abs(len(nodeids[0::2]) - len(nodeids[1::2])) <= 1 and a and b,
          "shards: balanced, neither empty")

    for env, what in (({"TEST_TOTAL_SHARDS": "2", "TEST_SHARD_INDEX": "2"}, "index >= total"),
                      ({"TEST_TOTAL_SHARDS": "abc", "TEST_SHARD_INDEX": "0"}, "total not a number"),
                      ({"TEST_TOTAL_SHARDS": "0", "TEST_SHARD_INDEX": "0"}, "total 0"),
                      ({"TEST_TOTAL_SHARDS": "2", "TEST_SHARD_INDEX": "-1"}, "negative index")):
        rc, out = runner.run(suite, env=env)
        check(rc == 4 and "TEST_" in out,
              "shards: %s is a usage error (exit %d, expected 4)" % (what, rc))


def check_premature_exit(runner, suite, tmp):
    marker = os.path.join(tmp, "premature_exit")
    rc, out = runner.run(suite, env={"TEST_PREMATURE_EXIT_FILE": marker})
    check(rc in (0, 1) and not os.path.exists(marker),
          "TEST_PREMATURE_EXIT_FILE: absent after a clean run (exit %d)" % rc)
    rc, out = runner.run(suite, ["--no-such-option-xyz"],
                         env={"TEST_PREMATURE_EXIT_FILE": marker})
    check(rc == 4 and not os.path.exists(marker),
          "TEST_PREMATURE_EXIT_FILE: absent after a usage error (exit %d)" % rc)


def check_infrastructure_failure(runner, suite, tmp):
    infra = os.path.join(tmp, "infrastructure_failure")
    rc, out = runner.run(suite, env={"TEST_INFRASTRUCTURE_FAILURE_FILE": infra,
                                     "TACH_WORKER": "/nonexistent"})
    check(rc == 3, "TEST_INFRASTRUCTURE_FAILURE_FILE: exit 3 without a worker (got %d)" % rc)
    text = open(infra).read() if os.path.isfile(infra) else ""
    check("/nonexistent" in text,
          "TEST_INFRASTRUCTURE_FAILURE_FILE: the error message is written there (%r)"
          % text.strip())
    infra2 = os.path.join(tmp, "infrastructure_failure_2")
    rc, out = runner.run(suite, env={"TEST_INFRASTRUCTURE_FAILURE_FILE": infra2})
    check(rc in (0, 1) and not os.path.exists(infra2),
          "TEST_INFRASTRUCTURE_FAILURE_FILE: not written by a run that works")


TMP_SUITE = textwrap.dedent('''\
    import os
    import tempfile


    def _under(path, root):
        path, root = os.path.realpath(str(path)), os.path.realpath(root)
        return os.path.commonpath([path, root]) == root


    def test_tmp_path_under_test_tmpdir(tmp_path):
        with open(os.environ["BAZEL_CHECK_REPORT"], "a") as f:
            f.write("tmp_path=%s\\n" % tmp_path)
        assert _under(tmp_path, os.environ["TEST_TMPDIR"])


    def test_tempfile_under_test_tmpdir():
        with open(os.environ["BAZEL_CHECK_REPORT"], "a") as f:
            f.write("gettempdir=%s\\n" % tempfile.gettempdir())
        assert _under(tempfile.gettempdir(), os.environ["TEST_TMPDIR"])


    def test_premature_exit_file_exists_while_running():
        assert os.path.exists(os.environ["TEST_PREMATURE_EXIT_FILE"])
    ''')


def check_tmpdir(runner, tmp):
    suite = os.path.join(tmp, "tmp_suite")
    os.makedirs(suite)
    with open(os.path.join(suite, "test_tmpdir.py"), "w") as f:
        f.write(TMP_SUITE)
    test_tmpdir = os.path.join(tmp, "test_tmpdir")
    os.makedirs(test_tmpdir)
    report = os.path.join(tmp, "tmp_report.txt")
    marker = os.path.join(tmp, "premature_exit_tmp")
    xml = os.path.join(tmp, "tmp_suite.xml")
    rc, out = runner.run(suite, env={"TEST_TMPDIR": test_tmpdir, "BAZEL_CHECK_REPORT": report,
                                     "TEST_PREMATURE_EXIT_FILE": marker,
                                     "XML_OUTPUT_FILE": xml})
    lines = open(report).read().splitlines() if os.path.isfile(report) else []
    check(rc == 0, "TEST_TMPDIR: tmp_path and tempfile under it, and "
          "TEST_PREMATURE_EXIT_FILE there while running (exit %d)" % rc)
    if rc != 0:
        print(out)
    root = os.path.realpath(test_tmpdir)
    paths = [l.split("=", 1)[1] for l in lines if "=" in l]
    check(len(paths) == 2 and all(os.path.realpath(p) == root or os.path.realpath(p).startswith(root + os.sep)
                                for p in paths),
          "TEST_TMPDIR: the tests saw %s (under %s)" % (paths, root))
    check(not os.path.exists(marker), "TEST_PREMATURE_EXIT_FILE: removed afterwards")
    # An explicit --basetemp wins.
    own = os.path.join(tmp, "own_basetemp")
    open(report, "w").close()
    rc, out = runner.run(suite, ["--basetemp", own, "-k", "tmp_path"],
                         env={"TEST_TMPDIR": test_tmpdir, "BAZEL_CHECK_REPORT": report,
                              "TEST_PREMATURE_EXIT_FILE": marker})
    text = open(report).read()
    check(os.path.realpath(own) in text or own in text,
          "TEST_TMPDIR: an explicit --basetemp wins (%s)" % text.strip())


def junit_outcomes(path):
    """{(classname, name): outcome} from a JUnit file."""
    out = {}
    for tc in ET.parse(path).getroot().iter("testcase"):
        tags = {child.tag for child in tc}
        outcome = ("failed" if "failure" in tags else "error" if "error" in tags
                   else "skipped" if "skipped" in tags else "passed")
        out[(tc.get("classname", ""), tc.get("name", ""))] = outcome
    return out


def mangle(nodeid):
    """pytest's classname/name of a node id (no parametrize brackets in path)."""
    path, _, rest = nodeid.partition("::")
    parts = rest.split("::")
    classname = ".".join([path[:-3].replace("/", ".")] + parts[:-1])
    return classname, parts[-1]


def check_undeclared_outputs(runner, suite, tmp, nodeids):
    outs = os.path.join(tmp, "undeclared")
    xml = os.path.join(tmp, "undeclared.xml")
    rc, out = runner.run(suite, env={"TEST_UNDECLARED_OUTPUTS_DIR": outs,
                                     "XML_OUTPUT_FILE": xml})
    report = os.path.join(outs, "tach-report.json")
    if not check(os.path.isfile(report),
                 "TEST_UNDECLARED_OUTPUTS_DIR: tach-report.json written there (exit %d)" % rc):
        return
    data = json.load(open(report))
    tests = {t["nodeid"]: t["outcome"] for t in data["tests"]}
    # A failing teardown shows as an error in JUnit, beside the outcome.
    teardown = {t["nodeid"] for t in data["tests"] if t["teardown_failed"]}
    check(sorted(tests) == sorted(nodeids),
          "TEST_UNDECLARED_OUTPUTS_DIR: the report lists every collected test (%d of %d)"
          % (len(tests), len(nodeids)))
    check(data["exitcode"] == rc, "TEST_UNDECLARED_OUTPUTS_DIR: the report's exit code is "
          "tach's (%s vs %d)" % (data["exitcode"], rc))
    junit = junit_outcomes(xml)
    # xfailed is a skip in JUnit, xpassed a pass; crashes/timeouts failures.
    as_junit = {"xfailed": "skipped", "xpassed": "passed", "crashed": "failed",
                "timeout": "failed"}
    mismatched = [n for n, o in tests.items()
                  if junit.get(mangle(n)) not in (as_junit.get(o, o), None)
                  and not (n in teardown and junit.get(mangle(n)) == "error")]
    known = [n for n in tests if mangle(n) in junit]
    check(not mismatched and len(known) >= len(tests) // 2,
          "TEST_UNDECLARED_OUTPUTS_DIR: outcomes agree with the JUnit XML (%d compared, "
          "mismatched: %s)" % (len(known), mismatched[:3]))
    counts = collections.Counter(tests.values())
    check(data["summary"] == dict(counts),
          "TEST_UNDECLARED_OUTPUTS_DIR: summary counts the tests (%s)" % data["summary"])
    check(not os.path.exists(os.path.join(outs, "tach-coverage-contexts.json")),
          "TEST_UNDECLARED_OUTPUTS_DIR: no coverage contexts without coverage")


COV_MODULE = textwrap.dedent('''\
    def covered(x):
        return x + 1


    def not_covered(x):
        return x - 1
    ''')

COV_OTHER = textwrap.dedent('''\
    def helper():
        return 42
    ''')

COV_TEST = textwrap.dedent('''\
    from pkg.mod import covered
    from pkg.other import helper


    def test_covered():
        assert covered(1) == 2
        assert helper() == 42
    ''')


def check_coverage(runner, tmp):
    # The real sources, and a runfiles-like tree of symlinks to them where
    # tach runs (as Bazel runs a test in its runfiles directory).
    real = os.path.join(tmp, "cov_real")
    run = os.path.join(tmp, "cov_run")
    files = {"conftest.py": "", "pkg/__init__.py": "", "pkg/mod.py": COV_MODULE, "pkg/other.py": COV_OTHER,
             "tests/test_cov.py": COV_TEST}
    for rel, text in files.items():
        for root in (real, run):
            os.makedirs(os.path.join(root, os.path.dirname(rel)), exist_ok=True)
        with open(os.path.join(real, rel), "w") as f:
            f.write(text)
        os.symlink(os.path.join(real, rel), os.path.join(run, rel))
    cov_dir = os.path.join(tmp, "cov_dir")
    os.makedirs(cov_dir)
    manifest = os.path.join(tmp, "cov_manifest.txt")
    with open(manifest, "w") as f:
        f.write("pkg/mod.py\npkg/missing_from_run.py\n")
    output = os.path.join(tmp, "cov_output.dat")
    outs = os.path.join(tmp, "cov_undeclared")
    rc, out = runner.run(run, ["-p", "no:cacheprovider"], env={
        "COVERAGE_DIR": cov_dir, "COVERAGE_MANIFEST": manifest, "COVERAGE_OUTPUT_FILE": output,
        "TEST_UNDECLARED_OUTPUTS_DIR": outs})
    check(rc == 0, "COVERAGE_DIR: the suite passes under coverage (exit %d)" % rc)
    check("coverage: platform" not in out and "TOTAL" not in out,
          "COVERAGE_DIR: no coverage table in the test log")
    dat = os.path.join(cov_dir, "tach_lcov.dat")
    if not check(os.path.isfile(dat), "COVERAGE_DIR: LCOV written to COVERAGE_DIR/tach_lcov.dat"):
        print(out)
        return
    text = open(dat).read()
    sources = [l[3:] for l in text.splitlines() if l.startswith("SF:")]
    check(sources == ["pkg/mod.py"],
          "COVERAGE_MANIFEST: only the manifest's file, named as there (SF: %s)" % sources)
    hits = dict(tuple(map(int, l[3:].split(",")[:2])) for l in text.splitlines()
                if l.startswith("DA:"))
    # def covered / return x + 1 / def not_covered / return x - 1
    check(hits.get(1, 0) > 0 and hits.get(2, 0) > 0 and hits.get(5, 0) > 0
          and hits.get(6) == 0,
          "COVERAGE_DIR: lines 1, 2, 5 hit and line 6 not (%s)" % sorted(hits.items()))
    check(os.path.isfile(output) and open(output).read() == text,
          "COVERAGE_OUTPUT_FILE: the same LCOV written there")
    contexts = os.path.join(outs, "tach-coverage-contexts.json")
    if check(os.path.isfile(contexts),
             "TEST_UNDECLARED_OUTPUTS_DIR: tach-coverage-contexts.json under coverage"):
        data = json.load(open(contexts))
        per_line = {}
        for path, info in data.get("files", {}).items():
            if path.endswith("pkg/mod.py"):
                per_line = info.get("contexts", {})
        check(any("tests/test_cov.py::test_covered" in c for c in per_line.get("2", [])),
              "contexts: line 2 of pkg/mod.py run by tests/test_cov.py::test_covered (%s)"
              % per_line.get("2"))

    # Without a manifest: every file under the (resolved) working directory,
    # named relative to it (a plain directory: without the manifest tach
    # cannot know where runfiles symlinks lead).
    shutil.rmtree(cov_dir)
    rc, out = runner.run(real, ["-p", "no:cacheprovider"], env={"COVERAGE_DIR": cov_dir})
    text = open(dat).read() if os.path.isfile(dat) else ""
    sources = sorted(l[3:] for l in text.splitlines() if l.startswith("SF:"))
    check(rc == 0 and "pkg/mod.py" in sources and "pkg/other.py" in sources,
          "COVERAGE_DIR without COVERAGE_MANIFEST: all measured files (%s)" % sources)
    # --no-cov wins over Bazel.
    shutil.rmtree(cov_dir, ignore_errors=True)
    rc, out = runner.run(run, ["-p", "no:cacheprovider", "--no-cov"],
                         env={"COVERAGE_DIR": cov_dir})
    check(rc == 0 and not os.path.exists(dat), "COVERAGE_DIR: --no-cov wins (exit %d)" % rc)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tach", required=True)
    parser.add_argument("--suite", required=True)
    parser.add_argument("--python", help="accepted for symmetry with the other harnesses")
    parser.add_argument("--tach-arg", action="append", default=[],
                        help="an argument for every tach run (e.g. --tach-arg=--isolation)")
    opts = parser.parse_args(argv)
    tach = os.path.abspath(opts.tach)
    suite = os.path.abspath(opts.suite)
    runner = Runner(tach, opts.tach_arg or ["--isolation", "fork"])

    with tempfile.TemporaryDirectory(prefix="tach-bazel-env-") as tmp:
        rc, nodeids = collected_nodeids(runner, suite)
        if not check(rc == 0 and len(nodeids) >= 2,
                     "the suite collects (%d tests, exit %d)" % (len(nodeids), rc)):
            return 1
        full = os.path.join(tmp, "full.xml")
        rc, out = runner.run(suite, ["--junit-xml", full])
        if not check(rc in (0, 1) and os.path.isfile(full), "baseline run (exit %d)" % rc):
            print(out)
            return 1
        all_cases = junit_cases(full)

        check_xml_output(runner, suite, tmp)
        check_filter(runner, suite, tmp, all_cases, nodeids)
        check_shards(runner, suite, tmp, all_cases, nodeids)
        check_premature_exit(runner, suite, tmp)
        check_infrastructure_failure(runner, suite, tmp)
        check_tmpdir(runner, tmp)
        check_undeclared_outputs(runner, suite, tmp, nodeids)
        check_coverage(runner, tmp)

    return finish()


if __name__ == "__main__":
    sys.exit(main())
