#!/usr/bin/env bash
# Set up (scripts/setup.sh), then run the whole test suite.
# Extra arguments go to `meson test`, e.g. `scripts/test.sh --suite unit`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
rc=0
meson test -C "$root/build" --print-errorlogs "$@" || rc=$?
# One plain closing line that any CI log reader understands.
/usr/bin/python3 - "$root/build/meson-logs/testlog.json" <<'PY'
import json, sys
counts = {"OK": 0, "FAIL": 0, "SKIP": 0, "EXPECTEDFAIL": 0, "UNEXPECTEDPASS": 0, "TIMEOUT": 0, "ERROR": 0}
with open(sys.argv[1]) as f:
    for line in f:
        if line.strip():
            result = json.loads(line).get("result", "ERROR")
            counts[result] = counts.get(result, 0) + 1
passed = counts["OK"] + counts["EXPECTEDFAIL"]
failed = counts["FAIL"] + counts["UNEXPECTEDPASS"] + counts["TIMEOUT"] + counts["ERROR"]
print(f"tests: {passed} passed, {failed} failed, {counts['SKIP']} skipped")
PY
exit $rc
