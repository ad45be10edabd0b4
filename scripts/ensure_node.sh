#!/usr/bin/env bash
# Sourced by the tests that drive Node.js (the Segment SDK test, the dashboard test): installs
# Debian's nodejs and npm when no node/npm is on PATH, as the dashboard test does for chromium.
# Returns non-zero when they are still missing (no root, or apt-get failed); the caller skips.
spillway_ensure_node() {
  command -v node >/dev/null && command -v npm >/dev/null && return 0
  echo "node/npm missing: installing Debian's nodejs and npm packages" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo -n"
  { $sudo apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      nodejs npm; } > /tmp/spillway-node-apt.log 2>&1 || {
    echo "apt-get could not install nodejs/npm (log: /tmp/spillway-node-apt.log)" >&2
    return 1
  }
  command -v node >/dev/null && command -v npm >/dev/null
}
