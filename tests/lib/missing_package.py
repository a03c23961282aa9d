"""A check that needs a Debian package which is not installed: skip (exit
77), or fail under CI when the archive offers the package
(scripts/skip_missing_package.sh decides and prints why)."""
import os
import subprocess

_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                       "skip_missing_package.sh")


def skip_status(package, what):
    """The exit status a check returns when `package` is missing: 77, or 1
    under CI when apt could have installed it."""
    return subprocess.call(["bash", _SCRIPT, package, what])
