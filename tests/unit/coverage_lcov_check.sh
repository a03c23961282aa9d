#!/bin/sh
# lcov(1) reads tach's LCOV report: the summary of the unit test's sample
# (tests/unit/test_coverage_report.cpp) has its figures, and merging it with
# itself, as `bazel coverage` and `lcov -a` combine runs, adds the counts.
# Exit 77 (skipped) when lcov is not installed.
#   coverage_lcov_check.sh PATH/TO/test_coverage_report
set -eu
test_program=$1
if ! command -v lcov >/dev/null 2>&1; then
    exec bash "$(dirname "$0")/../../scripts/skip_missing_package.sh" lcov "lcov is not installed"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$test_program" lcov-sample "$work/sample.info"

fail() {
    echo "FAILED: $*"
    exit 1
}

lcov --summary "$work/sample.info" >"$work/summary.txt" 2>&1 ||
    { cat "$work/summary.txt"; fail "lcov --summary rejected the report"; }
cat "$work/summary.txt"
grep -q 'lines\.*: 78\.9% (15 of 19 lines)' "$work/summary.txt" ||
    fail "expected 15 of 19 lines (78.9%)"

lcov --quiet -a "$work/sample.info" -a "$work/sample.info" -o "$work/merged.info" ||
    fail "lcov -a rejected the report"
lcov --summary "$work/merged.info" 2>&1 | grep -q 'lines\.*: 78\.9% (15 of 19 lines)' ||
    fail "merged: expected the same 15 of 19 lines"
# pkg/mod.py line 3 ran in two contexts: 4 after merging; line 4 never.
awk '/^SF:pkg\/mod.py$/ { f = 1 } /^end_of_record/ { f = 0 } f && /^DA:/' \
    "$work/merged.info" >"$work/mod.txt"
grep -qx 'DA:3,4' "$work/mod.txt" || fail "merged: expected DA:3,4 for pkg/mod.py"
grep -qx 'DA:4,0' "$work/mod.txt" || fail "merged: expected DA:4,0 for pkg/mod.py"
grep -qx 'DA:1,2' "$work/mod.txt" || fail "merged: expected DA:1,2 for pkg/mod.py"
echo "lcov: 2 passed"
