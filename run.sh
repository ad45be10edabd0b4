#!/usr/bin/env bash
# Builds spillway (release) in build/ and runs `spillway serve` on its embedded defaults:
# data in ./spillway-data, HTTP on 127.0.0.1:8080. Extra arguments go to `spillway serve`.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/deps.sh
spillway_install_packages "${SPILLWAY_BUILD_PACKAGES[@]}"
if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=release -Dtests=false
fi
ninja -C build app/spillway
exec build/app/spillway serve "$@"
