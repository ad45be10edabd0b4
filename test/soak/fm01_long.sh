#!/usr/bin/env bash
# Nightly FM-01: 10,000 kill -9 cycles of the real server during ingest + drain, every cycle
# checked against I1-I6 by the ledger (about 2 h on 2 cores). The seed is printed first and on
# any failure; SPILLWAY_SEED=N reproduces a run.
# Usage: test/soak/fm01_long.sh [BUILD_DIR] [CYCLES]   (a -Dtests=true build; default build-rel)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-rel}
export SPILLWAY_FM01_CYCLES=${2:-10000}
export SPILLWAY_FM01_ACCOUNTS=${SPILLWAY_FM01_ACCOUNTS:-10}
export SPILLWAY_BIN=$PWD/$build/app/spillway
ninja -C "$build" app/spillway test/reliability/reliability_crash_test
exec "$build/test/reliability/reliability_crash_test" -tc="FM-01*"
