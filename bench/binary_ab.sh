#!/bin/bash
# Two builds of spillway (or one build with two sets of flags) on copies of one store, the
# ingest loads alternating between them (order flipped every round), so that a change's effect
# is measured as a ratio within each round on a shared, noisy machine. Draining paused unless
# DRAIN=1 (then both deliver to `null:` while the loads run). Prints every run (events/s, p99),
# the servers' RssAnon and delivered counts at the end.
# usage: bench/binary_ab.sh OLD_BINARY NEW_BINARY STORE_DIR  (env ROUNDS=4 DURATION=8s
#        CONNECTIONS=64 DRAIN=0 OLD_ARGS= NEW_ARGS=; STORE_DIR e.g. made by bench/store_loader)
# e.g. retention's cost: DRAIN=1 NEW_ARGS="--retain-delivered-s 3600" bench/binary_ab.sh B B S
set -euo pipefail
OLD=$1 NEW=$2 STORE=$3
ROUNDS=${ROUNDS:-4}
DURATION=${DURATION:-8s}
CONNS=${CONNECTIONS:-64}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../scripts/ready_port.sh"
WORK=$(mktemp -d)
declare -A PID PORT BIN=([old]=$OLD [new]=$NEW) ARGS=([old]=${OLD_ARGS:-} [new]=${NEW_ARGS:-})
cleanup() { for p in "${PID[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
export SPILLWAY_ADMIN_TOKEN=bench-token
for v in old new; do
  cp -r "$STORE" "$WORK/$v"
  # shellcheck disable=SC2086  # ARGS are flags, split on purpose
  "${BIN[$v]}" serve --data "$WORK/$v" --listen 127.0.0.1:0 --threads 2 --sink null: ${ARGS[$v]} \
    2> "$WORK/$v.log" &
  PID[$v]=$!
  PORT[$v]=$(spillway_ready_port "$WORK/$v.log") || { echo "$v did not start"; cat "$WORK/$v.log"; exit 1; }
  # The pause is stored: a store that was served paused before stays paused unless resumed.
  action=pause
  [ "${DRAIN:-0}" = 1 ] && action=resume
  curl -sf -o /dev/null -X POST -H "Authorization: Bearer bench-token" "http://127.0.0.1:${PORT[$v]}/v1/drain/$action"
done
run() {  # run VERSION SCRIPT KEYS LABEL EVENTS_PER_REQUEST
  local out
  out=$(KEYS=$3 wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "$HERE/$2" "http://127.0.0.1:${PORT[$1]}")
  echo "$4 $1 $(echo "$(echo "$out" | awk '/Requests\/sec/ {print $2}') * $5" | bc) $(echo "$out" | awk '$1=="99%" {print $2}')"
}
for v in old new; do run $v batch.lua 1000 warm 100 >/dev/null; run $v track.lua 1 warm 1 >/dev/null; done
for r in $(seq 1 "$ROUNDS"); do
  order="old new"
  [ $((r % 2)) = 0 ] && order="new old"
  for v in $order; do run $v batch.lua 1000 "batch100_1000keys#$r" 100; done
  for v in $order; do run $v track.lua 1 "track_1key#$r" 1; done
done
for v in old new; do
  echo "$v RssAnon $(awk '/RssAnon/ {print $2}' "/proc/${PID[$v]}/status") kB"
  curl -s "http://127.0.0.1:${PORT[$v]}/metrics" | grep -E '^spillway_(replay_delivered_events_total|retained_(events|bytes))' | sed "s/^/$v /" || true
done
