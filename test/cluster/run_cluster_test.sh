#!/bin/bash
# Runs a cluster test driver (Python, stdlib) with the real load balancer from Debian,
# installed here when missing (scripts/ensure_command.sh).
# usage: run_cluster_test.sh SPILLWAY_BIN DRIVER.py [haproxy|nginx|none]
# Exit 77 (meson: skipped) only when the balancer is absent and cannot be installed.
set -u
BIN=$1 DRIVER=$2 BALANCER=${3:-none}
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
source "$(dirname "$0")/../../scripts/ensure_command.sh"
if [ "$BALANCER" != none ] && ! spillway_ensure_command "$LOG" "$BALANCER" "$BALANCER"; then
  echo "SKIP: $BALANCER is not installed and apt-get could not install it:"
  tail -5 "$LOG"
  exit 77
fi
# nginx and haproxy live in /usr/sbin, which a non-root PATH may lack.
export PATH=$PATH:/usr/sbin SPILLWAY_BIN=$BIN
if [ "$BALANCER" = none ]; then
  exec python3 "$DRIVER"
fi
exec python3 "$DRIVER" --balancer "$BALANCER"
