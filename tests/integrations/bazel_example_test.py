#!/usr/bin/env python3
"""End to end: the tach_test Bazel rule on the example workspace.

Copies examples/bazel and integrations/bazel to a temporary directory,
points the workspace at the tach under test (user.bazelrc: --test_env for
TACH, TACH_WORKER, TACH_SHIM_DIR, TACH_VERIFY_RESTORE) and runs `bazel --batch test` offline
(Debian's bazel-bootstrap; no server is left behind, the output root is
temporary), then checks:

  - `bazel test //...` passes (the passing suite, plain and sharded);
  - bazel-testlogs/calc_test/test.xml is tach's JUnit XML and lists exactly
    the tests tach collects from the suite;
  - shard_count = 2: each shard's test.xml holds a non-empty part of the
    tests, the parts are disjoint and together are all of them;
  - the undeclared outputs (test.outputs/outputs.zip) hold tach-report.json;
  - `bazel coverage //:calc_test` passes and bazel-testlogs/calc_test/
    coverage.dat (made by the offline stand-in merger from the LCOV tach
    wrote into COVERAGE_DIR) names the library's files as the manifest
    does, with the lines the tests ran; outputs.zip holds the contexts JSON;
  - //:failing_test fails, its XML has the failing test as a failure;
  - --test_filter with a node id selects that test (and so passes).

Skips (exit 77) when `bazel` is not installed.

Usage: bazel_example_test.py --tach TACH --source-root DIR
"""
import argparse
import collections
import json
import os
import shutil
import stat
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import check, finish, junit_cases, run  # noqa: E402
import missing_package  # noqa: E402


def junit_failed(path):
    root = ET.parse(path).getroot()
    return {tc.get("name") for tc in root.iter("testcase")
            if any(child.tag in ("failure", "error") for child in tc)}


def mangle(nodeid):
    path, _, rest = nodeid.partition("::")
    parts = rest.split("::")
    return ".".join([path[:-3].replace("/", ".")] + parts[:-1]), parts[-1]


def make_writable(root):
    # Bazel leaves read-only directories in its output root.
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode | stat.S_IWUSR | stat.S_IXUSR)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tach", required=True)
    parser.add_argument("--source-root", required=True)
    parser.add_argument("--bazel", default=shutil.which("bazel"))
    opts = parser.parse_args(argv)
    if not opts.bazel:
        return missing_package.skip_status("bazel-bootstrap", "bazel is not installed")
    tach = os.path.abspath(opts.tach)
    src = os.path.abspath(opts.source_root)

    tmp = tempfile.mkdtemp(prefix="tach-bazel-")
    try:
        return run_checks(opts.bazel, tach, src, tmp)
    finally:
        make_writable(tmp)
        shutil.rmtree(tmp, ignore_errors=True)


def run_checks(bazel_exe, tach, src, tmp):
    ws = os.path.join(tmp, "examples", "bazel")
    shutil.copytree(os.path.join(src, "examples", "bazel"), ws, symlinks=True,
                    ignore=shutil.ignore_patterns("bazel-*", "user.bazelrc"))
    shutil.copytree(os.path.join(src, "integrations", "bazel"),
                    os.path.join(tmp, "integrations", "bazel"))
    env_lines = ["test --test_env=TACH=%s" % tach]
    for name in ("TACH_WORKER", "TACH_SHIM_DIR", "TACH_VERIFY_RESTORE"):
        if os.environ.get(name):
            value = os.environ[name]
            if name != "TACH_VERIFY_RESTORE":
                value = os.path.abspath(value)
            env_lines.append("test --test_env=%s=%s" % (name, value))
    with open(os.path.join(ws, "user.bazelrc"), "w") as f:
        f.write("\n".join(env_lines) + "\n")
    out_root = os.path.join(tmp, "bazel-root")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TEST_", "XML_OUTPUT", "TESTBRIDGE", "COVERAGE"))}
    env["HOME"] = tmp  # nothing of the user's ~/.bazelrc or caches

    def bazel(*args):
        cmd = [bazel_exe, "--batch", "--output_user_root=" + out_root] + list(args)
        rc, out = run(cmd, ws, env, timeout=600)
        lines = [l for l in out.splitlines() if "linux-sandbox-pid1" not in l
                 and "linux-sandbox.cc" not in l]
        return rc, "\n".join(lines)

    testlogs = os.path.join(ws, "bazel-testlogs")

    # The suite as tach itself collects it, for the XML checks.
    tenv = dict(env, PYTHONPATH=ws)
    _, collected = run([tach, "--collect-only", "-q", "-p", "no:cacheprovider", "calc/tests"], ws, tenv)
    nodeids = [l for l in collected.splitlines() if "::" in l and not l.startswith(" ")]
    want = collections.Counter(mangle(n) for n in nodeids)
    if not check(len(nodeids) >= 4, "tach collects the example suite (%d tests)" % len(nodeids)):
        print(collected)
        return 1

    rc, out = bazel("test", "//...")
    if not check(rc == 0, "bazel test //... passes (exit %d)" % rc):
        print(out)
        for log in ("calc_test/test.log",):
            path = os.path.join(testlogs, log)
            if os.path.isfile(path):
                print(open(path).read())
    sandboxed = [l for l in out.splitlines() if "processes:" in l]
    print("      bazel: %s" % (sandboxed[-1].strip() if sandboxed else "?"))
    log = os.path.join(testlogs, "calc_test", "test.log")
    if os.path.isfile(log):
        header = [l for l in open(log).read().splitlines() if l.startswith("tach ")]
        print("      test.log: %s" % (header[0] if header else "?"))

    xml = os.path.join(testlogs, "calc_test", "test.xml")
    if check(os.path.isfile(xml), "bazel-testlogs/calc_test/test.xml exists"):
        got = junit_cases(xml)
        check(got == want, "test.xml lists exactly the collected tests (%d; want %d)"
              % (sum(got.values()), sum(want.values())))

    shards = [os.path.join(testlogs, "calc_sharded_test", "shard_%d_of_2" % i, "test.xml")
              for i in (1, 2)]
    if check(all(os.path.isfile(s) for s in shards), "shard_count = 2: a test.xml per shard"):
        a, b = junit_cases(shards[0]), junit_cases(shards[1])
        check(a and b and not (set(a) & set(b)),
              "shards: both non-empty, disjoint (%d + %d)" % (sum(a.values()), sum(b.values())))
        check(a + b == want, "shards: together exactly the collected tests")

    outputs = os.path.join(testlogs, "calc_test", "test.outputs", "outputs.zip")
    has_zip = shutil.which("zip") is not None
    if not has_zip:
        print("      (no zip: Bazel cannot zip the undeclared outputs; those checks skipped)")
    elif check(os.path.isfile(outputs), "undeclared outputs zipped by Bazel"):
        with zipfile.ZipFile(outputs) as z:
            names = z.namelist()
            report = json.loads(z.read("tach-report.json")) if "tach-report.json" in names else {}
        check(sorted(t["nodeid"] for t in report.get("tests", [])) == sorted(nodeids),
              "outputs.zip: tach-report.json lists the tests (%s)" % names)

    # bazel coverage: tach's LCOV, through the (stand-in) merger, in
    # bazel-testlogs/calc_test/coverage.dat; the contexts JSON beside the report.
    rc, out = bazel("coverage", "//:calc_test")
    check(rc == 0, "bazel coverage //:calc_test passes (exit %d)" % rc)
    dat = os.path.join(testlogs, "calc_test", "coverage.dat")
    text = open(dat).read() if os.path.isfile(dat) else ""
    sources = [l[3:] for l in text.splitlines() if l.startswith("SF:")]
    check(sources == ["calc/__init__.py", "calc/ops.py"],
          "coverage.dat: the library's files as the manifest names them, not the tests (%s)"
          % sources)
    ops = text.split("SF:calc/ops.py\n", 1)[-1].split("end_of_record", 1)[0]
    hits = dict(tuple(map(int, l[3:].split(",")[:2])) for l in ops.splitlines()
                if l.startswith("DA:"))
    # ops.py: line 2 `return a + b` (3 calls), line 7 `raise ZeroDivisionError`.
    check(hits.get(2, 0) >= 3 and hits.get(7, 0) >= 1,
          "coverage.dat: calc/ops.py lines 2 and 7 hit (%s)" % sorted(hits.items()))
    if has_zip and os.path.isfile(outputs):
        with zipfile.ZipFile(outputs) as z:
            names = z.namelist()
        check("tach-coverage-contexts.json" in names,
              "outputs.zip: tach-coverage-contexts.json under coverage (%s)" % names)

    rc, out = bazel("test", "//:failing_test")
    check(rc != 0, "bazel test //:failing_test fails (exit %d)" % rc)
    xml = os.path.join(testlogs, "failing_test", "test.xml")
    if check(os.path.isfile(xml), "failing_test: test.xml exists"):
        check(junit_failed(xml) == {"test_fails"},
              "failing_test: test_fails is the failure (%s)" % sorted(junit_failed(xml)))

    rc, out = bazel("test", "//:failing_test",
                    "--test_filter=failing/test_failing.py::test_passes")
    check(rc == 0, "--test_filter=<node id> runs only that test: passes (exit %d)" % rc)
    if os.path.isfile(xml):
        check(sum(junit_cases(xml).values()) == 1, "--test_filter: one test in test.xml")

    return finish()


if __name__ == "__main__":
    sys.exit(main())
