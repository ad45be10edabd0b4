#!/usr/bin/env bash
# Sourced by the tests that need a tool the build does not (chromium, promtool, node/npm):
# installs the Debian packages when the command is missing, so those tests run on a fresh
# machine. Needs root, or sudo without a password.
# spillway_ensure_command LOG COMMAND PACKAGE...: returns non-zero when COMMAND is still
# missing afterwards (the caller then skips); apt-get's output goes to LOG.
spillway_ensure_command() {
  local log=$1 cmd=$2
  shift 2
  command -v "$cmd" >/dev/null && return 0
  echo "$cmd missing: installing Debian's $* package(s)"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo -n"
  # meson runs tests in parallel, so two of them may install at once: wait for dpkg's lock.
  local wait=(-o DPkg::Lock::Timeout=300)
  { $sudo apt-get "${wait[@]}" update -qq &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get "${wait[@]}" install -y -qq \
      --no-install-recommends "$@"
  } > "$log" 2>&1
  command -v "$cmd" >/dev/null
}
