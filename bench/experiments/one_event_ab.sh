#!/bin/bash
# A/B of single-event ingest (POST /v1/track, 1 event per request, 16 clients, 1,000 write
# keys, as peers_bench.sh's first row) between two ways of running one binary. This disk's
# fsync time drifts by 2x within a minute, so runs of 10 s each, one after the other, cannot
# separate two builds: both servers stay up (each on its own store, drain paused) and the load
# alternates between them in short slices, A B B A, many times. Prints the totals of each
# side (events/s, mean commit time, mean operations per commit) and B/A over the whole run.
# Used for the two prototypes of one_event_prototypes.patch (docs/storage.md, "Prototyped"):
# its binary runs as deployed unless SPW_PROTO_INBOX=1 (the acknowledging commit appends events
# to one table, nothing per account) or SPW_PROTO_SIDELOG=FILE (LMDB unsynced, one appended and
# fdatasynced log write per commit) is set. Neither is safe to serve with: measurement only.
# usage: bench/experiments/one_event_ab.sh BIN "ENV_A" "ENV_B"   e.g. "X=1" "SPW_PROTO_INBOX=1"
#        (env SLICES=20 pairs, SLICE=3 seconds each, FLAGS= extra serve flags,
#         PREFILLED_STORE= a bench/store_loader dir, copied once per side,
#         FLAGS_A= / FLAGS_B= flags of one side only,
#         LUA=batch.lua for /v1/batch of 100 events per request instead of track.lua)
#        e.g. the inbox on and off: FLAGS_A="--inbox-min-group 0" ... BIN "X=A" "X=B"
set -uo pipefail
BIN=$1 ENV_A=$2 ENV_B=$3
SLICES=${SLICES:-20}
SLICE=${SLICE:-3}
LUA=${LUA:-track.lua}
PER_REQUEST=1
[ "$LUA" = batch.lua ] && PER_REQUEST=100
HERE=$(cd "$(dirname "$0")/.." && pwd)
source "$HERE/../scripts/ready_port.sh"
export SPILLWAY_ADMIN_TOKEN=bench-token
WORK=$(mktemp -d /tmp/one_event_ab.XXXXXX)
cleanup() { for p in "$WORK"/*/pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null; done; rm -rf "$WORK"; }
trap cleanup EXIT

start() {  # start SIDE ENV FLAGS -> port (run in $(...): the server's stdout must not hold it open)
  local dir=$WORK/$1
  mkdir -p "$dir"
  if [ -n "${PREFILLED_STORE:-}" ]; then cp -r "$PREFILLED_STORE" "$dir/d"; fi
  # shellcheck disable=SC2086
  env $2 "$BIN" serve --data "$dir/d" --listen 127.0.0.1:0 --threads 2 --sink null: ${FLAGS:-} $3 \
    > /dev/null 2> "$dir/log" &
  echo $! > "$dir/pid"
  local port
  port=$(spillway_ready_port "$dir/log") || { echo "did not start" >&2; cat "$dir/log" >&2; exit 1; }
  curl -sf -o /dev/null -X POST -H "Authorization: Bearer bench-token" "http://127.0.0.1:$port/v1/drain/pause"
  [ -n "${PREFILLED_STORE:-}" ] || for i in $(seq 0 999); do
    curl -sf -o /dev/null -X POST "http://127.0.0.1:$port/v1/admin/accounts" -H "Authorization: Bearer bench-token" \
      -H 'Content-Type: application/json' -d "{\"name\":\"bench$i\",\"write_key\":\"wk_bench_$i\"}"
  done
  echo "$port"
}

# metrics PORT -> "commits commit_seconds operations"
metrics() {
  curl -s "http://127.0.0.1:$1/metrics" | awk '
    /^spillway_commit_latency_seconds_count\{/ {n=$NF}
    /^spillway_commit_latency_seconds_sum\{/ {s=$NF}
    /^spillway_commit_group_operations_sum\{/ {o=$NF}
    END {print n, s, o}'
}

slice() {  # slice PORT SIDE: one slice of load, totals appended to $WORK/SIDE.tsv
  local before after rps
  before=$(metrics "$1")
  rps=$(KEYS=1000 wrk -t2 -c16 -d"${SLICE}s" -s "$HERE/$LUA" "http://127.0.0.1:$1" |
    awk -v n="$PER_REQUEST" '/Requests\/sec/ {print $2 * n}')
  after=$(metrics "$1")
  echo "$rps $before $after" >> "$WORK/$2.tsv"
}

PORT_A=$(start a "$ENV_A" "${FLAGS_A:-}")
PORT_B=$(start b "$ENV_B" "${FLAGS_B:-}")
for i in $(seq 1 "$SLICES"); do
  if [ $((i % 2)) = 1 ]; then slice "$PORT_A" a; slice "$PORT_B" b; else slice "$PORT_B" b; slice "$PORT_A" a; fi
done
summary() {  # summary SIDE -> "events/s commit_ms group"
  awk '{r += $1; n += $5 - $2; s += $6 - $3; o += $7 - $4} END {printf "%.0f %.3f %.1f\n", r / NR, 1000 * s / n, o / n}' "$WORK/$1.tsv"
}
read -r ea ca ga <<< "$(summary a)"
read -r eb cb gb <<< "$(summary b)"
echo "$SLICES pairs of ${SLICE} s slices, A B B A ..."
echo "A ($ENV_A ${FLAGS_A:-}): $ea events/s, commit $ca ms, $ga operations per commit"
echo "B ($ENV_B ${FLAGS_B:-}): $eb events/s, commit $cb ms, $gb operations per commit"
printf 'B/A %.2f\n' "$(echo "$eb / $ea" | bc -l)"
# Per pair, to show the spread the alternation evens out.
paste -d' ' <(awk '{print $1}' "$WORK/a.tsv") <(awk '{print $1}' "$WORK/b.tsv") |
  awk '{printf "%.2f ", $2 / $1} END {print "(B/A of each pair)"}'
