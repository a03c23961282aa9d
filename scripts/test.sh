#!/usr/bin/env bash
# Set up (scripts/setup.sh), then run the whole test suite.
# Extra arguments go to `meson test`, e.g. `scripts/test.sh --suite unit`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
rc=0
meson test -C "$root/build" --print-errorlogs "$@" || rc=$?
# The host side again under ASan+UBSan (build-asan/; docs/hardening.md),
# unless a selection of tests was asked for.
logs=("$root/build/meson-logs/testlog.json")
if [ $# -eq 0 ] && [ "${TACH_SKIP_SANITIZE:-}" != 1 ]; then
  "$root/scripts/sanitize.sh" || rc=$?
  logs+=("$root/build-asan/meson-logs/testlog.json")
fi
# One plain closing line that any CI log reader understands.
/usr/bin/python3 - "${logs[@]}" <<'PY'
import json, os, sys
counts = {"OK": 0, "FAIL": 0, "SKIP": 0, "EXPECTEDFAIL": 0, "UNEXPECTEDPASS": 0, "TIMEOUT": 0, "ERROR": 0}
for path in sys.argv[1:]:
    if not os.path.exists(path):
        counts["ERROR"] += 1
        continue
    with open(path) as f:
        for line in f:
            if line.strip():
                result = json.loads(line).get("result", "ERROR")
                counts[result] = counts.get(result, 0) + 1
passed = counts["OK"] + counts["EXPECTEDFAIL"]
failed = counts["FAIL"] + counts["UNEXPECTEDPASS"] + counts["TIMEOUT"] + counts["ERROR"]
print(f"tests: {passed} passed, {failed} failed, {counts['SKIP']} skipped")
PY
exit $rc
