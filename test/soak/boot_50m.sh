#!/usr/bin/env bash
# FM-16 at nightly size: builds a store of 50 M events (default; EVENTS=N to change) over
# 100,000 accounts with bench/boot_bench, then opens it as the server does and prints the time
# to ready and the memory at ready (pass: ready <= 10 s, anonymous RSS < 256 MiB), then starts
# the real server on it and samples VmRSS/RssAnon from /proc until `ready`.
# Needs ~20 GB of disk under TMPDIR and a -Dbench=true build.
# Usage: test/soak/boot_50m.sh [BENCH_BUILD_DIR]   (default build-bench)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-bench}
events=${EVENTS:-50000000}
[ -f "$build/build.ninja" ] || meson setup "$build" --buildtype=release -Dbench=true -Dtests=false
ninja -C "$build" bench/boot_bench app/spillway
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/bench/boot_bench" fill "$tmp/store" "$events" 100000
sync
echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
echo "events=$events $("$build/bench/boot_bench" open "$tmp/store")"
t0=$(date +%s.%N)
SPILLWAY_ADMIN_TOKEN=soak "$build/app/spillway" serve --data "$tmp/store" --listen 127.0.0.1:0 \
  --sink null: 2> "$tmp/server.log" &
pid=$!
until grep -q "msg=ready" "$tmp/server.log"; do
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/server.log"; exit 1; }
  sleep 0.05
done
t1=$(date +%s.%N)
echo "server ready in $(echo "$t1 - $t0" | bc) s; $(grep -E 'VmRSS|RssAnon' /proc/$pid/status | tr -s ' \n' ' ')"
kill -TERM "$pid"
wait "$pid"
