#!/usr/bin/env bash
# Weekly soak: 8 hours (SOAK_HOURS) of mixed faults. The fault changes every period (SOAK_PERIOD_S,
# default 300 s, the NATS harness pattern); 1 period in 4 has no fault. Each period runs one of
# the reliability suite's fault drivers, sized to fill the period, with its own ledger, and must
# end with `N passed, 0 failed`; the soak stops at the first failure and keeps its log.
#   kill9      FM-01 kill -9 loop (cycles sized to the period)
#   strace     FM-02 SIGKILL sweep over fdatasync/pwrite64 points, then FM-04 EIO
#   disk       FM-06 tmpfs disk full, FM-07 map full, FM-12 stuck reader
#   downstream FM-27..FM-31 (down for most of the period, hang, 5xx/429, reset, poison)
#   hostile    FM-19..FM-26 hostile clients, then FM-42..FM-44
#   none       steady ingest + drain (the FM-27 driver with a 2 s blip only)
# Usage: test/soak/mixed_soak.sh [BUILD_DIR]   (default build-rel); log in soak-<date>.log
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-rel}
hours=${SOAK_HOURS:-8}
period=${SOAK_PERIOD_S:-300}
export SPILLWAY_BIN=$PWD/$build/app/spillway
export SPILLWAY_READER_HOLDER=$PWD/$build/test/reliability/reliability_reader_holder
ninja -C "$build" app/spillway test/reliability/reliability_crash_test \
  test/reliability/reliability_syscall_test test/reliability/reliability_disk_test \
  test/reliability/reliability_downstream_test test/reliability/reliability_reader_holder
log=soak-$(date +%Y%m%d-%H%M%S).log
bin=$build/test/reliability
end=$(( $(date +%s) + hours * 3600 ))
n=0
faults=(kill9 strace disk downstream hostile)
while [ "$(date +%s)" -lt "$end" ]; do
  n=$((n + 1))
  if [ $((RANDOM % 4)) -eq 0 ]; then fault=none; else fault=${faults[$((RANDOM % 5))]}; fi
  echo "== period $n: $fault ($(date -u +%FT%TZ))" | tee -a "$log"
  case "$fault" in
    kill9) cmd=(env SPILLWAY_FM01_CYCLES=$((period * 10 / 8)) "$bin/reliability_crash_test" -tc="FM-01*") ;;
    strace) cmd=(env SPILLWAY_FM02_POINTS=$((period / 3)) "$bin/reliability_syscall_test") ;;
    disk) cmd=("$bin/reliability_disk_test") ;;
    downstream) cmd=(env SPILLWAY_FM27_DOWN_S=$((period - 60)) "$bin/reliability_downstream_test") ;;
    hostile) cmd=(sh -c "python3 test/reliability/hostile_input.py && python3 test/reliability/security.py") ;;
    none) cmd=(env SPILLWAY_FM27_DOWN_S=2 "$bin/reliability_downstream_test" -tc="FM-27*") ;;
  esac
  if ! timeout $((period * 3)) "${cmd[@]}" >> "$log" 2>&1; then
    echo "period $n ($fault) FAILED; see $log" | tee -a "$log"
    exit 1
  fi
  grep -a " passed, " "$log" | tail -1
done
echo "soak: $n periods over $hours h, 0 failed" | tee -a "$log"
