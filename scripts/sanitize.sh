#!/usr/bin/env bash
# The host side under AddressSanitizer + UndefinedBehaviorSanitizer
# (docs/hardening.md): libtach, the tach CLI and the C tests are built with
# -Db_sanitize=address,undefined in build-asan/, and run against the
# ordinary, uninstrumented tach-worker of ./build (CPython, userfaultfd and
# in-place restore are not ASan material).  Any sanitizer report fails.
#
#   scripts/sanitize.sh            build-asan/ and the selected tests
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -x build/src/tach-worker ] || { echo "sanitize: build ./build first (scripts/setup.sh)" >&2; exit 1; }
if [ ! -f build-asan/build.ninja ]; then
  meson setup build-asan -Dpython=/usr/bin/python3 -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debug -Dexamples=false -Dtest_worker="$root/build/src/tach-worker" >/dev/null
fi
# Only what the selected tests run (the worker is not rebuilt here).
ninja -C build-asan src/libtach.so.0.1.0 src/cli/tach tests/unit/test_api tests/unit/test_faults \
  tests/unit/test_protocol tests/unit/test_recollect tests/hardening/fuzz_replay_protocol tests/hardening/fuzz_replay_options
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=87
# (api-options is left out: it unsets TACH_WORKER to check the build's own
# worker, which build-asan does not build.)
tests=(protocol api-static api-fork api-snapshot api-contract
       recollect-fork recollect-misuse
       faults-shutdown-thread-fork faults-shutdown-thread-snapshot faults-faults
       fuzz-replay-protocol fuzz-replay-options
       e2e-features-fork e2e-crash-fork e2e-crash-snapshot
       hardening-fake-init hardening-fake-run hardening-kill-zygote hardening-kill-restore
       hardening-bad-utf8 hardening-memory-bad-size)
# build-asan's worker list names workers it does not build (test_api_workers
# checks them in ./build instead).
export TACH_WORKERS_UNBUILT=1
meson test -C build-asan --no-rebuild --print-errorlogs "${tests[@]}"
