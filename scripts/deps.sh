#!/usr/bin/env bash
# Installs the Debian 12 packages spillway needs to build and test, if any is missing.
# Sourced by run.sh and test.sh. Needs root (or sudo) only when something is missing.
set -euo pipefail

SPILLWAY_BUILD_PACKAGES=(
  g++ meson ninja-build pkg-config
  liblmdb-dev lmdb-utils libboost1.81-dev nlohmann-json3-dev libcpp-httplib-dev
  libssl-dev zlib1g-dev ca-certificates libjemalloc-dev
)
SPILLWAY_TEST_PACKAGES=(
  doctest-dev libbenchmark-dev strace curl python3 procps
)

spillway_install_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "spillway: installing missing packages: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
