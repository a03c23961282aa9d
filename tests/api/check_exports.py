"""The symbols libtach exports, and its SONAME.

usage: check_exports.py LIBTACH_SO TACH_H

Fails when
- a defined dynamic symbol lacks the tach_ prefix (libstdc++, CPython or
  the engine's own C++ leaking through the version script),
- a function declared TACH_API in tach.h is not exported, or a tach_
  symbol is exported that tach.h does not declare,
- the SONAME is not libtach.so.0.
Uses nm and readelf from binutils.
"""

import re
import subprocess
import sys

EXPECTED_SONAME = "libtach.so.0"


def run(*cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited with {proc.returncode}:\n{proc.stderr}")
    return proc.stdout


def exported(lib):
    """Names of the defined dynamic symbols (version suffixes removed)."""
    names = set()
    for line in run("nm", "-D", "--defined-only", lib).splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        name = fields[-1].split("@")[0]
        names.add(name)
    return names


def declared(header):
    """Functions declared with TACH_API in the header."""
    with open(header, encoding="utf-8") as f:
        text = f.read()
    # Drop comments so that the usage example does not count.
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    names = set()
    for decl in re.findall(r"\bTACH_API\b([^;{]*)", text):
        m = re.search(r"\b(tach_\w+)\s*\(", decl)
        if m:
            names.add(m.group(1))
    return names


def soname(lib):
    for line in run("readelf", "-d", lib).splitlines():
        if "(SONAME)" in line:
            m = re.search(r"\[(.*)\]", line)
            return m.group(1) if m else None
    return None


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    lib, header = argv[1], argv[2]
    problems = []

    symbols = exported(lib)
    if not symbols:
        problems.append("no defined dynamic symbols at all")
    foreign = sorted(s for s in symbols if not s.startswith("tach_"))
    if foreign:
        shown = "\n  ".join(foreign[:40])
        more = f"\n  ... and {len(foreign) - 40} more" if len(foreign) > 40 else ""
        problems.append(f"{len(foreign)} exported symbol(s) without the tach_ prefix:\n  {shown}{more}")

    api = declared(header)
    if not api:
        problems.append(f"no TACH_API declarations found in {header}")
    missing = sorted(api - symbols)
    if missing:
        problems.append("declared in tach.h but not exported: " + ", ".join(missing))
    undeclared = sorted(s for s in symbols - api if s.startswith("tach_"))
    if undeclared:
        problems.append("exported but not declared in tach.h: " + ", ".join(undeclared))

    name = soname(lib)
    if name != EXPECTED_SONAME:
        problems.append(f"SONAME is {name!r}, expected {EXPECTED_SONAME!r}")

    if problems:
        for p in problems:
            print(f"FAIL: {p}", file=sys.stderr)
        return 1
    print(f"{len(symbols)} symbols, all tach_ and all declared in tach.h; SONAME {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
