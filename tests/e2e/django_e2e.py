#!/usr/bin/env python3
"""tests/suites/django_project under tach, compared with plain pytest.

Sets DJANGO_SETTINGS_MODULE as a Django user would, then hands over to
compare_with_pytest.py with the remaining arguments.  Exit 77 (skipped, with
a message) when the interpreter tach embeds cannot import django.

Usage: django_e2e.py --python PYTHON HARNESS-ARGS...
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv):
    python = argv[argv.index("--python") + 1]
    probe = subprocess.run([python, "-c", "import django; print(django.__version__)"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if probe.returncode != 0:
        print("SKIP: %s cannot import django (apt-get install python3-django):\n%s"
              % (python, probe.stderr.strip()))
        return 77
    print("django %s under %s" % (probe.stdout.strip(), python), flush=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "djproj.settings"
    return subprocess.call([sys.executable, os.path.join(HERE, "compare_with_pytest.py")] + argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
