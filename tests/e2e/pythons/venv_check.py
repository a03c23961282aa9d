#!/usr/bin/env python3
"""A virtualenv used through `tach --python VENV/bin/python`.

    venv_check.py --tach TACH --python BASE_PYTHON [--expect-version X.Y.Z] [-v]

In a temporary directory: `BASE_PYTHON -m venv --system-site-packages`
(without pip: nothing is downloaded), a small package `tinycalc` put on the
virtualenv's path by a .pth file in its site-packages (what an editable
install does), and a project whose tests import it and check they run in
the virtualenv (sys.prefix is the venv, sys.base_prefix the base
installation, the venv's site-packages on sys.path, sys.executable the
venv's python).  Checks:

  1. `VENV/bin/python -m pytest` passes them all (the reference);
  2. `TACH --python VENV/bin/python` passes them all too, with the header's
     Python version the base interpreter's (the worker picked for it);
  3. `TACH --python BASE_PYTHON` cannot import tinycalc: the package is only
     reachable through the virtualenv (proves check 2 used it).

$TACH_WORKER is dropped: tach picks the worker by the venv's version.
pytest must be importable by the venv (system site-packages, or PYTHONPATH
from the environment).  Exit 0 when all hold, 1 otherwise, 2 when the
harness cannot run.  Standard library only.
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

TESTS = '''\
import os
import sys
import sysconfig

import tinycalc

VENV = os.environ["TINYCALC_VENV"]


def test_package_from_the_venv_path():
    assert tinycalc.add(2, 3) == 5


def test_prefix_is_the_venv():
    assert os.path.realpath(sys.prefix) == os.path.realpath(VENV)
    assert sys.base_prefix != sys.prefix


def test_venv_site_packages_on_path():
    purelib = os.path.realpath(sysconfig.get_paths()["purelib"])
    assert purelib.startswith(os.path.realpath(VENV) + os.sep)
    assert purelib in [os.path.realpath(p) for p in sys.path]


def test_executable_is_the_venv_python():
    assert os.path.dirname(sys.executable) == os.path.join(VENV, "bin")
'''


def run(cmd, cwd, env, verbose):
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=300)
    if verbose:
        print("$ %s  (exit %d)\n%s" % (" ".join(cmd), proc.returncode, proc.stdout))
    return proc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tach", required=True)
    ap.add_argument("--python", required=True)
    ap.add_argument("--expect-version", default="")
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    tach = os.path.abspath(args.tach)

    tmp = tempfile.mkdtemp(prefix="tach-venv-")
    try:
        venv = os.path.join(tmp, "venv")
        env = dict(os.environ)
        env.pop("TACH_WORKER", None)
        made = run([args.python, "-m", "venv", "--system-site-packages", "--without-pip", venv],
                   tmp, env, args.v)
        if made.returncode != 0:
            print("cannot make a virtualenv with %s:\n%s" % (args.python, made.stdout))
            return 2
        site = glob.glob(os.path.join(venv, "lib", "python3*", "site-packages"))
        if len(site) != 1:
            print("no single site-packages in %s: %s" % (venv, site))
            return 2
        src = os.path.join(tmp, "pkg", "src")
        os.makedirs(os.path.join(src, "tinycalc"))
        with open(os.path.join(src, "tinycalc", "__init__.py"), "w") as f:
            f.write("def add(a, b):\n    return a + b\n")
        with open(os.path.join(site[0], "tinycalc-dev.pth"), "w") as f:
            f.write(src + "\n")
        project = os.path.join(tmp, "project")
        os.makedirs(os.path.join(project, "tests"))
        with open(os.path.join(project, "tests", "test_tinycalc.py"), "w") as f:
            f.write(TESTS)
        env["TINYCALC_VENV"] = venv
        vpython = os.path.join(venv, "bin", "python")
        failures = []

        ref = run([vpython, "-m", "pytest", "-p", "no:cacheprovider", "tests"], project, env, args.v)
        if ref.returncode != 0 or "4 passed" not in ref.stdout:
            failures.append("reference: %s -m pytest did not pass 4 tests (exit %d)" % (vpython, ref.returncode))

        got = run([tach, "--python", vpython, "-p", "no:cacheprovider", "tests"], project, env, args.v)
        if got.returncode != 0 or not re.search(r"\b4 passed\b", got.stdout):
            failures.append("tach --python %s did not pass 4 tests (exit %d)" % (vpython, got.returncode))
        if args.expect_version and ("python %s," % args.expect_version) not in got.stdout:
            failures.append("tach's header does not say python %s" % args.expect_version)

        base = run([tach, "--python", args.python, "-p", "no:cacheprovider", "tests"], project, env, args.v)
        if base.returncode == 0 or "tinycalc" not in base.stdout:
            failures.append("tach --python %s (no venv) should fail to import tinycalc (exit %d)"
                            % (args.python, base.returncode))

        for f in failures:
            print("FAIL:", f)
        if failures:
            for name, proc in (("reference", ref), ("tach", got), ("tach without venv", base)):
                print("---- %s (exit %d)\n%s" % (name, proc.returncode, proc.stdout[-3000:]))
            return 1
        print("venv OK: %s -> 4 passed under tach and pytest" % vpython)
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
