#!/usr/bin/env python3
"""List the CPython interpreters tach can build a worker for (run by Meson).

    find_pythons.py --default PYTHON SPEC...

SPEC is `auto` (search the usual places, below), `none`, or an interpreter's
path.  PYTHON is the interpreter of the default worker (-Dpython): it is not
listed again.  Prints one line per usable interpreter, tab-separated:

    worker-name  X.Y  X.Y.Z  executable  base-prefix  include  platinclude
    libdir  library  extra-libs

and on stderr one line per interpreter left out, with the reason.  `auto`
looks at /usr/bin/python3.N, /usr/local/bin/python3.N and
$PYENV_ROOT/versions/*/bin/python3 ($PYENV_ROOT defaults to ~/.pyenv).
An interpreter is usable when it is CPython >= 3.10, built with a shared
libpython (--enable-shared), not free-threaded, and its headers and library
are there.  Standard library only.
"""

import glob
import json
import os
import re
import subprocess
import sys

PROBE = r"""
import json, os, sys, sysconfig
v = sysconfig.get_config_var
paths = sysconfig.get_paths()
print(json.dumps({
    "impl": sys.implementation.name,
    "version": list(sys.version_info[:3]),
    "executable": os.path.realpath(sys.executable),
    "base_prefix": os.path.realpath(getattr(sys, "base_prefix", sys.prefix)),
    "shared": v("Py_ENABLE_SHARED"),
    "gil_disabled": v("Py_GIL_DISABLED"),
    "include": paths.get("include") or "",
    "platinclude": paths.get("platinclude") or "",
    "libdir": v("LIBDIR") or "",
    "ldlibrary": v("LDLIBRARY") or "",
    "ldversion": v("LDVERSION") or "",
    "libs": " ".join(((v("LIBS") or "") + " " + (v("SYSLIBS") or "")).split()),
}))
"""


def candidates(specs):
    for spec in specs:
        if spec == "none" or not spec:
            continue
        if spec != "auto":
            yield spec
            continue
        for d in ("/usr/bin", "/usr/local/bin"):
            for path in sorted(glob.glob(d + "/python3.*")):
                if re.fullmatch(r"python3\.\d+", os.path.basename(path)):
                    yield path
        root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
        for path in sorted(glob.glob(os.path.join(root, "versions", "*", "bin", "python3")),
                           key=version_key):
            yield path


def version_key(path):
    name = os.path.basename(os.path.dirname(os.path.dirname(path)))
    return [int(x) if x.isdigit() else 0 for x in re.split(r"[.]", name)] + [name]


def probe(path):
    """The interpreter's facts, or a reason it cannot be used."""
    try:
        out = subprocess.run([path, "-I", "-c", PROBE], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, "cannot run: %s" % e
    if out.returncode != 0:
        return None, "cannot run: %s" % (out.stderr.strip().splitlines() or ["exit %d" % out.returncode])[-1]
    try:
        info = json.loads(out.stdout)
    except ValueError:
        return None, "unreadable probe output"
    if info["impl"] != "cpython":
        return None, "not CPython (%s)" % info["impl"]
    if tuple(info["version"][:2]) < (3, 10):
        return None, "Python %d.%d is older than 3.10" % tuple(info["version"][:2])
    if info["gil_disabled"]:
        return None, "free-threaded build (unsupported)"
    if not info["shared"]:
        return None, "no shared libpython (built without --enable-shared)"
    if not os.path.exists(os.path.join(info["include"], "Python.h")):
        return None, "no headers (%s/Python.h)" % info["include"]
    if not os.path.exists(os.path.join(info["libdir"], info["ldlibrary"])):
        return None, "no %s in %s" % (info["ldlibrary"], info["libdir"])
    return info, None


def main(argv):
    if len(argv) < 3 or argv[0] != "--default":
        print(__doc__, file=sys.stderr)
        return 2
    default = argv[1]
    seen = set()
    taken = set()
    default_info, why = probe(default)
    if default_info:
        seen.add(default_info["executable"])
        taken.add("%d.%d" % tuple(default_info["version"][:2]))
    rows = []
    for path in candidates(argv[2:]):
        if not os.path.exists(path):
            print("%s: does not exist" % path, file=sys.stderr)
            continue
        info, why = probe(path)
        if not info:
            print("%s: %s" % (path, why), file=sys.stderr)
            continue
        if info["executable"] in seen:
            continue
        seen.add(info["executable"])
        short = "%d.%d" % tuple(info["version"][:2])
        full = "%d.%d.%d" % tuple(info["version"])
        # tach-worker-3.12; a second 3.12 (or the default's version) gets
        # its full version, then a counter.
        name = "tach-worker-" + (short if short not in taken else full)
        n = 2
        while name in taken:
            name = "tach-worker-%s-%d" % (full, n)
            n += 1
        taken.update((short, name))
        rows.append("\t".join([name, short, full, info["executable"], info["base_prefix"],
                               info["include"], info["platinclude"], info["libdir"],
                               "python" + info["ldversion"], info["libs"]]))
    for row in rows:
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
