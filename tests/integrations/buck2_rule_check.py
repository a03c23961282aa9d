#!/usr/bin/env python3
"""Check the Buck2 tach_test rule (integrations/buck2/tach_test.bzl) as far
as can be done without Buck2 (docs/integrations/buck2.md says what is not):

  - the .bzl parses and uses only constructs Starlark has;
  - its implementation, run against stand-ins for the Buck2 API, returns an
    ExternalRunnerTestInfo that runs from the project root with
    project-relative paths and declares the resources as hidden inputs;
  - that command and env, executed as Buck2's open-source runner executes
    them (project root as cwd, the env added), run tach on a copy of the
    example suite (examples/bazel): exit 0 for the passing tests, 1 for the
    failing ones; with XML_OUTPUT_FILE the JUnit XML lists the tests;
  - every variable of the doc's `tach-env` block appears in `tach --help`.

Usage: buck2_rule_check.py --tach TACH --source-root DIR
"""
import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import check, finish, run  # noqa: E402


# ---- Starlark subset --------------------------------------------------------

NOT_STARLARK = (ast.Import, ast.ImportFrom, ast.ClassDef, ast.While, ast.Try, ast.With,
                ast.Raise, ast.Delete, ast.Global, ast.Nonlocal, ast.Yield, ast.YieldFrom,
                ast.AsyncFunctionDef, ast.Await, ast.JoinedStr, ast.Set, ast.SetComp,
                ast.NamedExpr)


def starlark_problems(tree):
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, NOT_STARLARK):
            problems.append("%s at line %d" % (type(node).__name__, node.lineno))
        elif isinstance(node, ast.Compare):
            if len(node.ops) > 1:
                problems.append("chained comparison at line %d" % node.lineno)
            if any(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops):
                problems.append("`is` at line %d" % node.lineno)
    return problems


# ---- Buck2 API stand-ins ----------------------------------------------------

class Artifact:
    """A source file; rendered project-relative (use_project_relative_paths)."""

    def __init__(self, path):
        self.short_path = path

    def render(self):
        return self.short_path


class RunInfoValue:
    def __init__(self, args):
        self.args = args


class CmdArgs:
    def __init__(self, *args, hidden=None, delimiter=None):
        self.items = list(args)
        self.hidden_items = flatten([hidden]) if hidden is not None else []

    def render(self):
        out = []
        for item in flatten(self.items):
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, Artifact):
                out.append(item.render())
            elif isinstance(item, CmdArgs):
                out.extend(item.render())
            elif isinstance(item, RunInfoValue):
                out.extend(CmdArgs(item.args).render())
            else:
                raise TypeError("cmd_args cannot hold %r" % (item,))
        return out


def flatten(values):
    out = []
    for value in values:
        if isinstance(value, (list, tuple)):
            out.extend(flatten(value))
        elif value is not None:
            out.append(value)
    return out


class Provider:
    def __init__(self, **kwargs):
        self.kwargs = kwargs

    def __getattr__(self, name):
        try:
            return self.kwargs[name]
        except KeyError:
            raise AttributeError(name)


class ExternalRunnerTestInfo(Provider):
    pass


class DefaultInfo(Provider):
    pass


class RunInfo(Provider):
    def __init__(self, args=None, **kwargs):
        super().__init__(args=args, **kwargs)


class Attrs:
    """attrs.* builders: record the call, give nothing usable back."""

    def __getattr__(self, name):
        return lambda *a, **k: ("attr", name, a, k)


class Struct:
    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


def load_rule(path):
    rules = {}

    def rule(impl, attrs, **kwargs):
        rules["impl"], rules["attrs"] = impl, attrs
        return rules

    namespace = {
        "AnalysisContext": object, "Provider": Provider, "cmd_args": CmdArgs,
        "DefaultInfo": DefaultInfo, "RunInfo": RunInfo,
        "ExternalRunnerTestInfo": ExternalRunnerTestInfo, "rule": rule, "attrs": Attrs(),
    }
    exec(compile(open(path).read(), path, "exec"), namespace)
    return rules


def run_rule(rules, **attrs):
    defaults = {"contacts": [], "env": {}, "labels": [], "resources": [], "srcs": [],
                "tach": None, "tach_args": [], "tach_path": "tach"}
    defaults.update(attrs)
    providers = rules["impl"](Struct(attrs=Struct(**defaults)))
    info = [p for p in providers if isinstance(p, ExternalRunnerTestInfo)]
    return info[0] if info else None, providers


def run_as_buck2(info, project, base_env):
    """What Buck2's open-source runner does: the command from the project
    root with the env added.  Returns (exit code, output)."""
    argv = []
    for part in info.command:
        argv.extend(part.render() if isinstance(part, CmdArgs) else CmdArgs(part).render())
    env = dict(base_env)
    for key, value in info.env.items():
        env[key] = " ".join(CmdArgs(value).render())
    rc, out = run(argv, project, env, timeout=300)
    return rc, out, argv


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tach", required=True)
    parser.add_argument("--source-root", required=True)
    opts = parser.parse_args(argv)
    tach = os.path.abspath(opts.tach)
    src = os.path.abspath(opts.source_root)
    bzl = os.path.join(src, "integrations", "buck2", "tach_test.bzl")

    text = open(bzl).read()
    try:
        tree = ast.parse(text, bzl)
    except SyntaxError as error:
        check(False, "tach_test.bzl parses (%s)" % error)
        return 1
    check(True, "tach_test.bzl parses")
    problems = starlark_problems(tree)
    check(not problems, "tach_test.bzl uses only Starlark constructs (%s)" % problems)

    rules = load_rule(bzl)
    check(set(rules.get("attrs", {})) >= {"srcs", "resources", "env", "tach", "tach_path"},
          "the rule has srcs, resources, env, tach, tach_path (%s)"
          % sorted(rules.get("attrs", {})))

    with tempfile.TemporaryDirectory(prefix="tach-buck2-") as project:
        example = os.path.join(src, "examples", "bazel")
        for d in ("calc", "failing"):
            shutil.copytree(os.path.join(example, d), os.path.join(project, d))
        calc_tests = sorted("calc/tests/" + f
                            for f in os.listdir(os.path.join(project, "calc", "tests"))
                            if f.startswith("test_") and f.endswith(".py"))
        resources = ["calc/__init__.py", "calc/ops.py", "calc/tests/conftest.py"]
        # Where Buck2 would get them from the rule's env attribute.
        tach_env = {k: os.environ[k] for k in ("TACH_WORKER", "TACH_SHIM_DIR")
                    if os.environ.get(k)}
        info, providers = run_rule(rules, srcs=[Artifact(p) for p in calc_tests],
                                   resources=[Artifact(p) for p in resources],
                                   env=tach_env, tach_path=tach)
        if not check(info is not None, "the implementation returns an ExternalRunnerTestInfo"):
            return 1
        check(info.run_from_project_root is True and info.use_project_relative_paths is True,
              "ExternalRunnerTestInfo: run_from_project_root and use_project_relative_paths")
        check(isinstance(info.type, str) and info.type, "ExternalRunnerTestInfo: a type")
        hidden = [a.short_path for part in info.command if isinstance(part, CmdArgs)
                  for a in part.hidden_items if isinstance(a, Artifact)]
        check(sorted(hidden) == sorted(resources),
              "the resources are hidden inputs of the command (%s)" % hidden)
        check(any(isinstance(p, RunInfo) for p in providers), "RunInfo for `buck2 run`")

        # A clean environment, as a runner gives (TEST_TMPDIR for this check
        # only, so that the example's tmp_path test has it).
        base_env = {"PATH": "/usr/local/bin:/usr/bin:/bin",
                    "TEST_TMPDIR": os.path.join(project, "tmp")}
        os.makedirs(base_env["TEST_TMPDIR"])
        rc, out, argv_run = run_as_buck2(info, project, base_env)
        print("      command: %s" % " ".join(argv_run))
        if not check(rc == 0, "the passing suite: exit 0, a pass for Buck2 (exit %d)" % rc):
            print(out)

        xml = os.path.join(project, "out.xml")
        rc, out, _ = run_as_buck2(info, project, dict(base_env, XML_OUTPUT_FILE=xml))
        names = sorted(tc.get("name") for tc in ET.parse(xml).getroot().iter("testcase")) \
            if os.path.isfile(xml) else []
        check(rc == 0 and len(names) == 6,
              "XML_OUTPUT_FILE in the env: the JUnit XML lists the 6 tests (%s)" % names)

        info, _ = run_rule(rules, srcs=[Artifact("failing/test_failing.py")],
                           resources=[Artifact(p) for p in resources[:2]],
                           env=tach_env, tach_path=tach)
        rc, out, _ = run_as_buck2(info, project, base_env)
        check(rc == 1, "the failing suite: exit 1, a failure for Buck2 (exit %d)" % rc)

        # `tach` given as a target with RunInfo instead of a path.
        info, _ = run_rule(rules, srcs=[Artifact(p) for p in calc_tests],
                           env=tach_env, tach={RunInfo: RunInfoValue([tach])})
        rc, out, argv_run = run_as_buck2(info, project, base_env)
        check(rc == 0 and argv_run[0] == tach, "tach as a RunInfo dependency runs (exit %d)" % rc)

    # The env contract in the doc is what the CLI documents.
    doc = open(os.path.join(src, "docs", "integrations", "buck2.md")).read()
    block = re.search(r"```tach-env\n(.*?)```", doc, re.S)
    names = [line.split()[0] for line in block.group(1).splitlines() if line.strip()] \
        if block else []
    help_text = subprocess.run([tach, "--help"], stdout=subprocess.PIPE,
                               universal_newlines=True).stdout
    missing = [n for n in names if not re.search(r"\b%s\b" % re.escape(n), help_text)]
    check(len(names) >= 10 and not missing,
          "buck2.md's %d environment variables are all in `tach --help` (missing: %s)"
          % (len(names), missing))

    return finish()


if __name__ == "__main__":
    sys.exit(main())
