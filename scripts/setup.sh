#!/usr/bin/env bash
# Installs what tach needs on Debian 12 and builds it into ./build.
# Safe to run again: packages already present and an existing build dir are kept.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential meson ninja-build pkg-config
  python3 python3-dev python3-pytest python3-coverage python3-venv
  python3-tomli python3-exceptiongroup  # pytest on Python 3.10 (the pyenv workers)
  python3-django  # tests/suites/django_project (Django warm-up)
  python3-pytest-xdist  # bench/run_bench.py --parallel: pytest -n 2 beside tach -n 2
  libmimalloc-dev libcmocka-dev
  lcov
  binutils  # nm/readelf for the export check
  valgrind  # memcheck of the host side (tests/hardening)
  clang-14 libclang-rt-14-dev  # libFuzzer (scripts/fuzz.sh)
)
# Optional: tests that need these skip (exit 77) without them.  Installed
# only where the distribution has them.
optional=(
  bazel-bootstrap bazel-platforms bazel-rules-java  # tests/integrations: bazel test offline
  zip  # Bazel zips a test's undeclared outputs with it
  rustc  # examples/api/rust_api.rs
)
source scripts/lib/apt.sh
missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
missing_optional=()
for p in "${optional[@]}"; do
  installed "$p" || missing_optional+=("$p")
done
if ((${#missing[@]} + ${#missing_optional[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  for p in "${missing_optional[@]}"; do
    if available "$p"; then
      missing+=("$p")
    else
      echo "tach setup: $p is not available here; the tests that need it will skip"
    fi
  done
  if ((${#missing[@]})); then
    echo "tach setup: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi
# A skip must mean "the archive has no such package", never "set-up missed
# it": every optional package the archive offers is installed by now.
for p in "${optional[@]}"; do
  if ! installed "$p" && available "$p"; then
    echo "tach setup: $p is available from apt but was not installed" >&2
    exit 1
  fi
done

if [ ! -f build/build.ninja ]; then
  meson setup build -Dpython=/usr/bin/python3
fi
ninja -C build
