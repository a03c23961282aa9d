#!/usr/bin/env bash
# A test that needs a Debian package which is not installed ends here:
#   skip_missing_package.sh PACKAGE WHAT
# prints "SKIP: WHAT" and exits 77 (meson's "skipped").  Under CI (CI set
# and not empty), a package the archive does offer means set-up missed it,
# and a skip would hide the capability: it prints FAIL and exits 1 instead.
set -u
package=$1
what=${2:-$1 is not installed}
if [ -n "${CI:-}" ]; then
  source "$(dirname "$0")/lib/apt.sh"
  if available "$package"; then
    echo "FAIL: $what, but apt offers $package (CI is set: scripts/setup.sh should have installed it)"
    exit 1
  fi
fi
echo "SKIP: $what (apt-get install $package; scripts/setup.sh does where the archive has it)"
exit 77
