#!/usr/bin/env bash
# Boot with a large backlog: builds stores of 1M and 10M events over 100,000 accounts and opens
# each as the server does, printing time to ready and memory at ready. Needs ~4 GB of disk.
# Usage: bench/boot_drill.sh [BUILD_DIR]   (a -Dbench=true build; default build-bench)
set -euo pipefail
build=${1:-build-bench}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for events in 1000000 10000000; do
  "$build/bench/boot_bench" fill "$tmp/s$events" "$events" 100000
  sync
  echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true  # cold cache when allowed
  echo "events=$events $("$build/bench/boot_bench" open "$tmp/s$events")"
done
