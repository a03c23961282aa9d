#!/usr/bin/env bash
# Installs what tach needs on Debian 12 and builds it into ./build.
# Safe to run again: packages already present and an existing build dir are kept.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential meson ninja-build pkg-config
  python3 python3-dev python3-pytest python3-coverage python3-venv
  python3-tomli python3-exceptiongroup  # pytest on Python 3.10 (the pyenv workers)
  libmimalloc-dev libcmocka-dev
  lcov
  binutils  # nm/readelf for the export check
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "tach setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -f build/build.ninja ]; then
  meson setup build -Dpython=/usr/bin/python3
fi
ninja -C build
