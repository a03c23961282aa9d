#!/usr/bin/env python3
"""`tach --python` with an interpreter tach cannot use: a clear error.

    interpreter_errors.py --tach TACH --suite DIR --workers BUILD/src

Each case runs TACH in the suite directory and must exit with status 3
(TACH_EINTERP: the interpreter is unusable), print the expected words on
stderr, and not be killed by a signal:

  missing-path     --python /no/such/python3
  not-on-path      --python no-such-python-for-tach3.11 (looked up on $PATH)
  no-worker        a virtualenv whose pyvenv.cfg says 3.99: the message
                   lists the workers there are and how to build one
  too-old          a virtualenv of 3.9: tach needs 3.10 or newer
  free-threaded    an executable named python3.13t: unsupported
  forced-listed    $TACH_WORKER = a listed worker of another version than
                   --python (when the build has two versions)
  forced-unlisted  $TACH_WORKER = a copy of such a worker outside any list:
                   the worker itself refuses the interpreter

and one that must work: `--python pythonX.Y` (the default interpreter's
name, its directory first on $PATH) collects the suite (exit 0).

Exit 0 when every case holds, 1 otherwise.  Standard library only.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile


def read_list(workers_dir):
    rows = []
    with open(os.path.join(workers_dir, "tach-workers.list")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                name, short, full, python, _prefix = line.rstrip("\n").split("\t")
                rows.append((os.path.join(workers_dir, name), short, full, python))
    return rows


def fake_venv(tmp, name, version):
    root = os.path.join(tmp, name)
    os.makedirs(os.path.join(root, "bin"))
    with open(os.path.join(root, "pyvenv.cfg"), "w") as f:
        f.write("home = /usr/bin\nversion = %s\n" % version)
    os.symlink("/bin/true", os.path.join(root, "bin", "python"))
    return os.path.join(root, "bin", "python")


def free_threaded(tmp):
    # A file of that name (the version is read from the name a symlink
    # resolves to, so no symlink to something else).
    path = os.path.join(tmp, "ft", "bin", "python3.13t")
    os.makedirs(os.path.dirname(path))
    shutil.copy2("/bin/true", path)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tach", required=True)
    ap.add_argument("--suite", required=True)
    ap.add_argument("--workers", required=True)
    args = ap.parse_args()
    args.tach = os.path.abspath(args.tach)
    workers = read_list(os.path.abspath(args.workers))
    default = workers[0]
    other = next((w for w in workers if w[1] != default[1]), None)
    base_env = dict(os.environ)
    base_env.pop("TACH_WORKER", None)

    tmp = tempfile.mkdtemp(prefix="tach-interp-")
    try:
        cases = [
            ("missing-path", ["--python", "/no/such/python3"], {},
             ["interpreter /no/such/python3 does not exist or is not executable"]),
            ("not-on-path", ["--python", "no-such-python-for-tach3.11"], {},
             ["no-such-python-for-tach3.11 not found on $PATH"]),
            ("no-worker", ["--python", fake_venv(tmp, "v399", "3.99.0")], {},
             ["is Python 3.99, and this tach has no worker for it",
              "%s (tach-worker)" % default[2], "-Dpythons="]),
            ("too-old", ["--python", fake_venv(tmp, "v39", "3.9.18")], {},
             ["is Python 3.9", "tach needs Python 3.10 or newer"]),
            ("free-threaded", ["--python", free_threaded(tmp)], {},
             ["is Python 3.13t, and this tach has no worker for it",
              "free-threaded builds are not supported"]),
        ]
        if other:
            cases.append(("forced-listed", ["--python", default[3]], {"TACH_WORKER": other[0]},
                          ["is Python %s, but the worker %s ($TACH_WORKER) embeds Python %s"
                           % (default[1], other[0], other[2]), "use " + default[0]]))
            copy = os.path.join(tmp, "lonely", "tach-worker")
            os.makedirs(os.path.dirname(copy))
            shutil.copy2(other[0], copy)
            cases.append(("forced-unlisted", ["--python", default[3]], {"TACH_WORKER": copy},
                          ["is Python %s, but this worker" % default[1],
                           "embeds Python %s" % other[1]]))
        else:
            print("only one Python version built: forced-* cases not run")
        failures = 0
        by_name = dict(base_env, PATH=os.path.dirname(default[3]) + ":" + base_env.get("PATH", ""))
        proc = subprocess.run([args.tach, "--python", os.path.basename(default[3]), "--collect-only", "-q"],
                              cwd=args.suite, env=by_name, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=120)
        ok = proc.returncode == 0 and "collected" in proc.stdout
        print("%-16s %s" % ("by-name", "ok" if ok else "FAIL: exit %d" % proc.returncode))
        if not ok:
            failures += 1
            print("  stdout: %s\n  stderr: %s" % (proc.stdout.strip()[-800:], proc.stderr.strip()[-800:]))
        for name, tach_args, extra_env, words in cases:
            env = dict(base_env, **extra_env)
            proc = subprocess.run([args.tach] + tach_args + ["-q"], cwd=args.suite, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
            problems = []
            if proc.returncode != 3:
                problems.append("exit status %d, expected 3" % proc.returncode)
            problems += ["stderr lacks %r" % w for w in words if w not in proc.stderr]
            print("%-16s %s" % (name, "ok" if not problems else "FAIL: " + "; ".join(problems)))
            if problems:
                failures += 1
                print("  stdout: %s\n  stderr: %s" % (proc.stdout.strip()[-800:], proc.stderr.strip()[-800:]))
        return 1 if failures else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
