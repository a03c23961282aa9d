#!/usr/bin/env bash
# Bounded libFuzzer runs of the host's decoders and option parsers
# (tests/fuzz; docs/hardening.md).  Needs clang-14 and libclang-rt-14-dev
# (scripts/setup.sh installs them) and ./build (for tach_paths.h).
#
#   scripts/fuzz.sh [SECONDS]     default 30 s per target ($TACH_FUZZ_SECONDS)
#
# The repo's corpus is read, never written: new inputs go to a temporary
# directory, and a finding (crash-*, leak-*, timeout-*) is copied to
# build-fuzz/findings/ and fails the run.  To keep a finding as a
# regression input, add it to tests/fuzz/corpus/<target>/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-${TACH_FUZZ_SECONDS:-30}}
cxx=${CXX_FUZZ:-clang++-14}
out="$root/build-fuzz"
mkdir -p "$out/findings"
if ! command -v "$cxx" >/dev/null; then
  exec "$root/scripts/skip_missing_package.sh" clang-14 "fuzz: $cxx not found"
fi
[ -f "$root/build/src/tach_paths.h" ] || { echo "fuzz: run scripts/setup.sh first (needs build/src/tach_paths.h)" >&2; exit 1; }

flags=(-std=c++20 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I"$root/src" -I"$root/include" -I"$root/src/cli" -I"$root/build/src")
build() {  # name sources...
  local name=$1; shift
  if [ ! -x "$out/$name" ] || [ -n "$(find "$@" "$root/src/common" "$root/src/supervisor" "$root/src/cli" -newer "$out/$name" -print -quit)" ]; then
    echo "fuzz: building $name"
    "$cxx" "${flags[@]}" "$@" -o "$out/$name" -ldl -lpthread
  fi
}
build fuzz_protocol "$root/tests/fuzz/fuzz_protocol.cpp" "$root/src/common/protocol.cpp" \
  "$root/src/common/frame_io.cpp" "$root/src/common/utf8_repair.cpp"
build fuzz_options "$root/tests/fuzz/fuzz_options.cpp" "$root/tests/fuzz/fuzz_options_resolve.cpp" "$root/src/cli/arguments.cpp" \
  "$root/src/cli/coverage_options.cpp" "$root/src/supervisor/resolve_options.cpp" \
  "$root/src/supervisor/install_paths.cpp" "$root/src/common/interpreter_version.cpp" "$root/src/supervisor/worker_set.cpp"

rc=0
for target in protocol options; do
  work=$(mktemp -d)
  echo "fuzz: $target for ${seconds}s"
  if ! (cd "$work" && ASAN_OPTIONS=detect_leaks=1 "$out/fuzz_$target" -max_total_time="$seconds" \
        -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/" "$work" "$root/tests/fuzz/corpus/$target" > "$work/log" 2>&1); then
    rc=1
    echo "fuzz: $target FOUND A PROBLEM:"
    tail -60 "$work/log"
    cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* "$out/findings/" 2>/dev/null || true
  else
    grep -E "stat::number_of_executed_units|stat::new_units_added" "$work/log" | sed "s/^/fuzz: $target /"
  fi
  rm -rf "$work"
done
echo "fuzz: $( ((rc)) && echo FAILED || echo "no findings" )"
exit $rc
