#!/usr/bin/env bash
# Set up (scripts/setup.sh), then run the whole test suite.
# Extra arguments go to `meson test`, e.g. `scripts/test.sh --suite unit`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
exec meson test -C "$root/build" --print-errorlogs "$@"
