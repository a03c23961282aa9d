#!/usr/bin/env bash
# Set up (scripts/setup.sh), then run tach on the bundled example project.
# Extra arguments go to tach, e.g. `scripts/demo.sh -v --isolation none`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
cd "$root/examples/demo"
exec "$root/build/src/cli/tach" "$@"
