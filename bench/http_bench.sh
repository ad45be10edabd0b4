#!/bin/bash
# HTTP ingest benchmark (issue 3): wrk, 64 connections, 2 threads, against
#   1. `spillway bench-noop-server` (same Beast server + router, answers 200 without parsing
#      or storing: the HTTP ceiling), and
#   2. the real `spillway serve` (durable: every 200 is after an fsynced LMDB commit),
# for single-event POST /v1/track with 1 write key and 1,000 keys round-robin, and
# POST /v1/batch of 100 events over 1,000 accounts; single-event /v1/track with 1 key again with
# deduplication off (--dedupe-window-s 0: the cost of remembering messageIds); then
# bench/queue_ceiling (the queue's raw group-commit ceiling, 64 appends in flight, no HTTP) for
# the same patterns. Prints ratios.
# Then the same three loads on a store in service: bench/store_loader fills one store with
# PREFILL_KEYS idempotency keys in the window and PREFILL_EVENTS queued events over 1,000
# accounts, through the queue API, and the three rows run on it, next to the fresh rows.
# PREFILLED_STORE=DIR copies a store the loader made earlier instead of loading one.
# usage: bench/http_bench.sh [BUILD_DIR] (env DURATION=10s, CONNECTIONS=64, THREADS=2,
#        PREFILL_KEYS=20000000, PREFILL_EVENTS=5000000; PREFILL_KEYS=0 skips the prefilled rows;
#        PREFILLED_STORE=)
set -euo pipefail
BUILD=${1:-build-ingest}
BIN=$BUILD/app/spillway
CEILING=$BUILD/bench/queue_ceiling
LOADER=$BUILD/bench/store_loader
DURATION=${DURATION:-10s}
PREFILL_KEYS=${PREFILL_KEYS:-20000000}
PREFILL_EVENTS=${PREFILL_EVENTS:-5000000}
CONNS=${CONNECTIONS:-64}
WRK_THREADS=${THREADS:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../scripts/ready_port.sh"
WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
[ -x "$BIN" ] && [ -x "$CEILING" ] && [ -x "$LOADER" ] || { echo "build first: meson configure $BUILD -Dbench=true && ninja -C $BUILD"; exit 1; }

start() {  # start LOG args... ; sets PID and PORT
  local log=$1; shift
  "$@" 2> "$log" & PID=$!
  PORT=$(spillway_ready_port "$log") || { echo "server did not start"; cat "$log"; exit 1; }
}
stop() { kill -TERM "$PID"; wait "$PID" || true; PID=; }
# serve NAME [flags...]: the real server on a fresh data dir, draining paused (ingest only:
# draining would add settle commits to the same writer, which the outage drill measures).
serve() {
  local name=$1; shift
  start "$WORK/$name.log" "$BIN" serve --data "$WORK/$name" --listen 127.0.0.1:0 --threads 2 \
    --sink null: "$@"
  curl -sf -o /dev/null -X POST -H "Authorization: Bearer bench-token" \
    "http://127.0.0.1:$PORT/v1/drain/pause"
}

run_wrk() {  # run_wrk NAME SCRIPT KEYS EVENTS_PER_REQUEST -> prints a result line
  local out
  out=$(KEYS=$3 wrk -t"$WRK_THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$HERE/$2" \
        "http://127.0.0.1:$PORT")
  local rps p50 p99 non2xx
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  printf '%-28s req/s=%-10s events/s=%-10.0f p50=%-8s p99=%-8s non2xx=%s\n' "$1" "$rps" \
    "$(echo "$rps * $4" | bc)" "$p50" "$p99" "${non2xx:-0}"
  echo "$1 $rps" >> "$WORK/results"
}

create_accounts() {  # create_accounts FROM TO
  for i in $(seq "$1" "$2"); do
    curl -sf -o /dev/null -X POST "http://127.0.0.1:$PORT/v1/admin/accounts" \
      -H "Authorization: Bearer bench-token" -H 'Content-Type: application/json' \
      -d "{\"name\":\"bench$i\",\"write_key\":\"wk_bench_$i\"}"
  done
}

echo "== wrk -t$WRK_THREADS -c$CONNS -d$DURATION, $(nproc) cores"
start "$WORK/noop.log" "$BIN" bench-noop-server --listen 127.0.0.1:0 --threads 2
run_wrk noop_track_1key track.lua 1 1
run_wrk noop_batch100 batch.lua 1000 100
stop

export SPILLWAY_ADMIN_TOKEN=bench-token
serve data
create_accounts 0 0
run_wrk real_track_1key track.lua 1 1
create_accounts 1 999
run_wrk real_track_1000keys track.lua 1000 1
run_wrk real_batch100_1000keys batch.lua 1000 100
stop

# The same single-event load with deduplication off: what remembering messageIds costs.
serve data_nodedupe --dedupe-window-s 0
create_accounts 0 0
run_wrk real_track_1key_nodedupe track.lua 1 1
stop

echo "== queue raw group-commit ceiling (no HTTP, 64 appends in flight)"
"$CEILING" "$WORK/ceiling" "${DURATION%s}" | tee "$WORK/ceiling.txt"

# Last, because its large store keeps the disk busy writing back for a while after it stops.
# A store in service: the index remembers every messageId of the window (24 h by default), and
# an outage leaves a deep backlog. Filled through the queue API (minutes, not hours of HTTP),
# then served with draining paused, and the three loads run on it.
if [ "$PREFILL_KEYS" -gt 0 ]; then
  if [ -n "${PREFILLED_STORE:-}" ]; then
    cp -r "$PREFILLED_STORE" "$WORK/prefilled"
  else
    "$LOADER" "$WORK/prefilled" "$PREFILL_KEYS" "$PREFILL_EVENTS" 1000 | tee "$WORK/loader.txt"
  fi
  echo "prefilled store: $(du -sh "$WORK/prefilled" | cut -f1) on disk"
  serve prefilled
  run_wrk real_track_1key_prefilled track.lua 1 1
  run_wrk real_track_1000keys_prefilled track.lua 1000 1
  run_wrk real_batch100_1000keys_prefilled batch.lua 1000 100
  grep -E '^spillway_dedupe_(runs|keys)|^process_resident' <(curl -s "http://127.0.0.1:$PORT/metrics") || true
  echo "server RssAnon after the prefilled rows: $(awk '/RssAnon/ {print $2, $3}' /proc/$PID/status)"
  stop
  rm -rf "${WORK:?}/prefilled"
fi

r() { awk -v k="$1" '$1==k {print $2}' "$WORK/results"; }
c() { awk -v k="pattern=$1" '$1==k {sub("events_per_s=","",$3); print $3}' "$WORK/ceiling.txt"; }
q() { echo "$1 / $2" | bc -l; }  # q NUM DEN: the ratio, for printf %.2f
echo "== ratios"
printf 'track 1 key      : real/noop = %.2f   real/queue ceiling = %.2f\n' \
  "$(q "$(r real_track_1key)" "$(r noop_track_1key)")" \
  "$(q "$(r real_track_1key)" "$(c single_1_account)")"
printf 'track 1 key, dedupe off: real/noop = %.2f   dedupe off/on = %.2f\n' \
  "$(q "$(r real_track_1key_nodedupe)" "$(r noop_track_1key)")" \
  "$(q "$(r real_track_1key_nodedupe)" "$(r real_track_1key)")"
if [ -n "$(r real_track_1key_prefilled)" ]; then
  printf 'prefilled (%s keys, %s queued) / fresh: track 1 key = %.2f   track 1000 keys = %.2f   batch100 = %.2f\n' \
    "$PREFILL_KEYS" "$PREFILL_EVENTS" \
    "$(q "$(r real_track_1key_prefilled)" "$(r real_track_1key)")" \
    "$(q "$(r real_track_1000keys_prefilled)" "$(r real_track_1000keys)")" \
    "$(q "$(r real_batch100_1000keys_prefilled)" "$(r real_batch100_1000keys)")"
  printf 'track 1 key, prefilled store: real/noop = %.2f\n' \
    "$(q "$(r real_track_1key_prefilled)" "$(r noop_track_1key)")"
fi
printf 'track 1000 keys  : real/noop = %.2f   real/queue ceiling = %.2f\n' \
  "$(q "$(r real_track_1000keys)" "$(r noop_track_1key)")" \
  "$(q "$(r real_track_1000keys)" "$(c single_1000_accounts)")"
printf 'batch100 1000 acc: real/noop = %.2f   real/queue ceiling = %.2f (events/s)\n' \
  "$(q "$(r real_batch100_1000keys)" "$(r noop_batch100)")" \
  "$(q "$(r real_batch100_1000keys) * 100" "$(c batch100_1000_accounts)")"
