#!/bin/bash
# Is ingest flat as the store fills? A fresh store and a store in service (bench/store_loader:
# PREFILL_KEYS idempotency keys in the window, PREFILL_EVENTS queued events over 1,000
# accounts) are served side by side, draining paused, and the three ingest loads of
# bench/http_bench.sh alternate between them for ROUNDS rounds (order flipped every round), so
# that the shared machine's drift hits both alike. A first round warms the servers (a store in
# service has its pages mapped; a just-opened one takes a page fault per first touch) and is
# not counted (WARMUP=0 counts it). Prints every run, the median of each, the
# prefilled/fresh ratio of the medians and of each round, and the servers' peak RssAnon.
# With UNKEYED=1 a third server runs a store with the same backlog and churn but no keys (the
# backlog's cost apart from the index's).
# PREFILLED_STORE=DIR copies a store the loader made earlier instead of loading one (the
# loader takes minutes; a served copy is as good as new: draining is paused, keys are fresh).
# usage: bench/index_flat.sh [BUILD_DIR]  (env PREFILL_KEYS=20000000 PREFILL_EVENTS=5000000
#        ROUNDS=5 DURATION=5s CONNECTIONS=64 UNKEYED=0 WARMUP=1 PREFILLED_STORE=)
set -euo pipefail
BUILD=${1:-build-bench}
BIN=$BUILD/app/spillway
LOADER=$BUILD/bench/store_loader
PREFILL_KEYS=${PREFILL_KEYS:-20000000}
PREFILL_EVENTS=${PREFILL_EVENTS:-5000000}
ROUNDS=${ROUNDS:-5}
WARMUP=${WARMUP:-1}
DURATION=${DURATION:-5s}
CONNS=${CONNECTIONS:-64}
UNKEYED=${UNKEYED:-0}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../scripts/ready_port.sh"
WORK=$(mktemp -d)
declare -A PID PORT
cleanup() { for p in "${PID[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
[ -x "$BIN" ] && [ -x "$LOADER" ] || { echo "build first: ninja -C $BUILD app/spillway bench/store_loader"; exit 1; }
export SPILLWAY_ADMIN_TOKEN=bench-token
admin() { curl -sf -o /dev/null -X POST -H "Authorization: Bearer bench-token" "$@"; }

serve() {  # serve NAME: a server on WORK/NAME, draining paused
  "$BIN" serve --data "$WORK/$1" --listen 127.0.0.1:0 --threads 2 --sink null: 2> "$WORK/$1.log" &
  PID[$1]=$!
  PORT[$1]=$(spillway_ready_port "$WORK/$1.log") || { echo "$1 did not start"; cat "$WORK/$1.log"; exit 1; }
  admin "http://127.0.0.1:${PORT[$1]}/v1/drain/pause"
}

if [ -n "${PREFILLED_STORE:-}" ]; then
  cp -r "$PREFILLED_STORE" "$WORK/prefilled"
else
  "$LOADER" "$WORK/prefilled" "$PREFILL_KEYS" "$PREFILL_EVENTS" 1000 | tee "$WORK/loader.txt"
fi
STORES=(fresh prefilled)
if [ "$UNKEYED" = 1 ]; then
  "$LOADER" "$WORK/unkeyed" "$PREFILL_KEYS" "$PREFILL_EVENTS" 1000 unkeyed
  STORES+=(unkeyed)
fi
echo "prefilled store: $(du -sh "$WORK/prefilled" | cut -f1) on disk"
serve fresh
for i in $(seq 0 999); do
  admin "http://127.0.0.1:${PORT[fresh]}/v1/admin/accounts" -H 'Content-Type: application/json' \
    -d "{\"name\":\"bench$i\",\"write_key\":\"wk_bench_$i\"}"
done
for s in "${STORES[@]:1}"; do serve "$s"; done

peak_rss() {  # the largest RssAnon (kB) seen per server
  for s in "${STORES[@]}"; do
    local kb
    kb=$(awk '/RssAnon/ {print $2}' "/proc/${PID[$s]}/status")
    if [ "$kb" -gt "$(cat "$WORK/rss.$s" 2>/dev/null || echo 0)" ]; then echo "$kb" > "$WORK/rss.$s"; fi
  done
  return 0
}
run() {  # run STORE PATTERN SCRIPT KEYS PER_REQUEST
  local out rps p99
  out=$(KEYS=$4 wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "$HERE/$3" "http://127.0.0.1:${PORT[$1]}")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  echo "$2 $1 $(echo "$rps * $5" | bc) $p99" | tee -a "$WORK/runs"
  peak_rss
}
if [ "$WARMUP" = 1 ]; then
  for s in "${STORES[@]}"; do
    for p in "track.lua 1" "track.lua 1000" "batch.lua 1000"; do
      set -- $p
      KEYS=$2 wrk -t2 -c"$CONNS" -d"$DURATION" -s "$HERE/$1" "http://127.0.0.1:${PORT[$s]}" >/dev/null
    done
  done
fi
for round in $(seq 1 "$ROUNDS"); do
  order=("${STORES[@]}")
  [ $((round % 2)) = 0 ] && order=($(printf '%s\n' "${STORES[@]}" | tac))
  for s in "${order[@]}"; do run "$s" track_1key track.lua 1 1; done
  for s in "${order[@]}"; do run "$s" track_1000keys track.lua 1000 1; done
  for s in "${order[@]}"; do run "$s" batch100_1000keys batch.lua 1000 100; done
done
grep -E '^spillway_dedupe_(runs|keys)' <(curl -s "http://127.0.0.1:${PORT[prefilled]}/metrics") || true
python3 - "$WORK/runs" "${STORES[@]}" <<'PY'
import statistics, sys
runs = [l.split() for l in open(sys.argv[1])]
stores = sys.argv[2:]
for pattern in dict.fromkeys(r[0] for r in runs):
    ev = {s: [float(r[2]) for r in runs if r[0] == pattern and r[1] == s] for s in stores}
    med = {s: statistics.median(v) for s, v in ev.items()}
    rounds = [p / f for p, f in zip(ev["prefilled"], ev["fresh"])]
    line = f"{pattern:18s} events/s median: " + "  ".join(f"{s} {med[s]:,.0f}" for s in stores)
    line += f"   prefilled/fresh {med['prefilled'] / med['fresh']:.2f}"
    line += " (rounds " + " ".join(f"{x:.2f}" for x in rounds) + ")"
    if "unkeyed" in med:
        line += f"   prefilled/unkeyed {med['prefilled'] / med['unkeyed']:.2f}"
    print(line)
PY
for s in "${STORES[@]}"; do echo "peak RssAnon $s: $(cat "$WORK/rss.$s") kB"; done
