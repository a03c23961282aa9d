#!/usr/bin/env python3
"""Make a directory that gives pytest to any Python 3.10+ (run by Meson).

    make_purepy.py OUTDIR
    make_purepy.py --coverage OUTDIR

OUTDIR gets one symbolic link per pure-Python package pytest needs, to
where this interpreter (Debian's python3, with python3-pytest) imports it
from: pytest, _pytest, pluggy, iniconfig, packaging, py, attr, attrs, and
for Python 3.10 tomli and exceptiongroup.  Only those: nothing compiled for
this interpreter's version may reach another one's sys.path.  The tests of
the other interpreters put OUTDIR on PYTHONPATH, for tach and for the
reference `python -m pytest` alike.  Fails when a package is missing or
holds a compiled module.

--coverage links coverage.py alone (Debian's python3-coverage), for the
coverage comparisons on the other interpreters.  Its C tracer is an
extension tagged for this interpreter (tracer.cpython-311-...so), which no
other version loads: there coverage.py falls back to its pure-Python tracer.
Only such version-tagged extensions are accepted.  Standard library only.
"""

import importlib
import importlib.machinery
import os
import shutil
import sys

PACKAGES = ["pytest", "_pytest", "pluggy", "iniconfig", "packaging", "py", "attr", "attrs",
            "tomli", "exceptiongroup"]
COMPILED = (".so", ".pyd")
# Extensions only this very interpreter version loads (cpython-311-x86_64-...).
TAGGED = tuple(s for s in importlib.machinery.EXTENSION_SUFFIXES if ".cpython-" in s)


def location(name):
    """The package's directory (or the module's file)."""
    module = importlib.import_module(name)
    path = module.__file__
    if os.path.basename(path) == "__init__.py":
        return os.path.dirname(path)
    return path


def main(argv):
    packages, allowed = PACKAGES, ()
    if argv and argv[0] == "--coverage":
        packages, allowed, argv = ["coverage"], TAGGED, argv[1:]
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = argv[0]
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    for name in packages:
        try:
            path = location(name)
        except ImportError as e:
            print("make_purepy: %s cannot be imported by %s: %s (install the Debian package "
                  "python3-%s)" % (name, sys.executable, e, name.strip("_")), file=sys.stderr)
            return 1
        for root, _dirs, files in os.walk(path) if os.path.isdir(path) else [("", [], [path])]:
            compiled = [f for f in files if f.endswith(COMPILED) and not (allowed and f.endswith(allowed))]
            if compiled:
                print("make_purepy: %s holds compiled modules (%s): not pure Python"
                      % (name, ", ".join(compiled)), file=sys.stderr)
                return 1
        os.symlink(path, os.path.join(tmp, os.path.basename(path)))
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
