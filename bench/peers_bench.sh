#!/bin/bash
# spillway against the durable stores a user would otherwise pick, same work, same run:
#   PostgreSQL 15, synchronous_commit=on: table events(account, seq, payload), PK (account, seq);
#   Redis 7 (Debian's redis-server), appendonly yes + appendfsync always: one list per account;
#   spillway: HTTP POST /v1/track (1 event/request) and /v1/batch (100 events/request).
# Each at 1 event per request/transaction and 100 per request/transaction, 16 clients,
# ~300-byte events spread over 1,000 accounts. Servers run on loopback from temp dirs and are
# stopped by PID. Prints events/s and spillway's ratio to each peer.
# Same semantics as spillway's deduplication: PostgreSQL with the idempotency a user would
# build (events(account, message_id uuid, payload jsonb, UNIQUE (account, message_id)),
# INSERT ... ON CONFLICT DO NOTHING with gen_random_uuid()), on a fresh table and on one
# prefilled with PREFILL_KEYS rows; spillway fresh and on a store bench/store_loader filled
# with PREFILL_KEYS keys in the window and PREFILL_EVENTS queued events.
# usage: bench/peers_bench.sh [BUILD_DIR]   (env DURATION=10, CLIENTS=16, PREFILL_KEYS=20000000,
#        PREFILL_EVENTS=5000000, PREFILL_KEYS=0 skips the prefilled rows; needs root for apt)
set -euo pipefail
BUILD=${1:-build-bench}
BIN=$BUILD/app/spillway
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../scripts/ready_port.sh"
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-16}
PREFILL_KEYS=${PREFILL_KEYS:-20000000}
PREFILL_EVENTS=${PREFILL_EVENTS:-5000000}
WORK=$(mktemp -d /tmp/peers.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -d "$WORK/pg" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
[ -x "$BIN" ] || { echo "build first: meson setup $BUILD -Dbench=true && ninja -C $BUILD"; exit 1; }
need=()
for p in postgresql redis-server redis-tools wrk bc; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PAYLOAD=$(printf '{"type":"track","userId":"user-12345","event":"Order Completed","properties":{"revenue":42.5,"currency":"USD","sku":"SKU-0001","coupon":"none","pad":"%0150d"}}' 0)
declare -A RESULT

# ---- PostgreSQL -----------------------------------------------------------------------------
mkdir -p "$WORK/pg" "$WORK/pgsock" && chown postgres "$WORK/pg" "$WORK/pgsock"
runuser -u postgres -- "$PGBIN/initdb" -D "$WORK/pg" -A trust >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pgsock/pg.log" -w \
  -o "-p 55432 -k $WORK/pgsock -c listen_addresses='' -c synchronous_commit=on -c fsync=on -c max_connections=100" start >/dev/null
psql() { runuser -u postgres -- /usr/bin/psql -h "$WORK/pgsock" -p 55432 -q "$@"; }
psql -c "CREATE TABLE events(account int, seq bigint, payload text, PRIMARY KEY(account, seq)); CREATE SEQUENCE s;"
cat > "$WORK/pg1.sql" <<SQL
\set a random(1, 1000)
INSERT INTO events VALUES (:a, nextval('s'), '$PAYLOAD');
SQL
cat > "$WORK/pg100.sql" <<SQL
INSERT INTO events SELECT 1 + (random() * 999)::int, nextval('s'), '$PAYLOAD' FROM generate_series(1, 100);
SQL
chmod 644 "$WORK"/*.sql
pgrun() {  # pgrun SCRIPT ROWS_PER_TXN
  local tps
  tps=$(runuser -u postgres -- "$PGBIN/pgbench" -h "$WORK/pgsock" -p 55432 -n -c "$CLIENTS" -j 2 \
        -T "$DURATION" -f "$1" postgres 2>/dev/null | awk '/^tps/ {print $3; exit}')
  echo "$tps * $2" | bc
}
RESULT[pg_1]=$(pgrun "$WORK/pg1.sql" 1)
RESULT[pg_100]=$(pgrun "$WORK/pg100.sql" 100)
# Idempotent inserts, as spillway deduplicates: a unique index on random UUIDs.
psql -c "DROP TABLE events; CREATE TABLE ev(account int, message_id uuid, seq bigserial, payload jsonb, UNIQUE (account, message_id));"
cat > "$WORK/pgu1.sql" <<SQL
\set a random(1, 1000)
INSERT INTO ev(account, message_id, payload) VALUES (:a, gen_random_uuid(), '$PAYLOAD') ON CONFLICT DO NOTHING;
SQL
cat > "$WORK/pgu100.sql" <<SQL
INSERT INTO ev(account, message_id, payload) SELECT 1 + (random() * 999)::int, gen_random_uuid(), '$PAYLOAD' FROM generate_series(1, 100) ON CONFLICT DO NOTHING;
SQL
chmod 644 "$WORK"/*.sql
RESULT[pgu_1]=$(pgrun "$WORK/pgu1.sql" 1)
RESULT[pgu_100]=$(pgrun "$WORK/pgu100.sql" 100)
if [ "$PREFILL_KEYS" -gt 0 ]; then
  psql -c "TRUNCATE ev; INSERT INTO ev(account, message_id, payload) SELECT 1 + i % 1000, gen_random_uuid(), '$PAYLOAD' FROM generate_series(1, $PREFILL_KEYS) i;"
  psql -c "VACUUM ANALYZE ev;"  # not inside the INSERT's transaction
  psql -c "CHECKPOINT;"
  RESULT[pgup_1]=$(pgrun "$WORK/pgu1.sql" 1)
  RESULT[pgup_100]=$(pgrun "$WORK/pgu100.sql" 100)
fi
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null

# ---- Redis ----------------------------------------------------------------------------------
redis-server --port 56379 --bind 127.0.0.1 --dir "$WORK" --appendonly yes --appendfsync always \
  --save '' --daemonize no >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do redis-cli -p 56379 ping >/dev/null 2>&1 && break; sleep 0.05; done
redis_run() {  # redis_run VALUES_PER_COMMAND -> events/s
  local values=() rps
  for _ in $(seq 1 "$1"); do values+=("$PAYLOAD"); done
  rps=$(redis-benchmark -p 56379 -c "$CLIENTS" -n $((200000 / $1)) -r 1000 -q \
        RPUSH "q:__rand_int__" "${values[@]}" 2>/dev/null | tr '\r' '\n' |
        sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p' | tail -1)
  echo "$rps * $1" | bc
}
RESULT[redis_1]=$(redis_run 1)
RESULT[redis_100]=$(redis_run 100)
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true

# ---- spillway -------------------------------------------------------------------------------
# Twice: as deployed (messageIds deduplicated for 24 h, one dedupe-index entry per event), and
# with --dedupe-window-s 0, which is the peers' work (neither PostgreSQL's table nor Redis's
# lists deduplicate).
export SPILLWAY_ADMIN_TOKEN=bench-token
swrun() {  # swrun SCRIPT EVENTS_PER_REQUEST
  local rps
  rps=$(KEYS=1000 wrk -t2 -c"$CLIENTS" -d"${DURATION}s" -s "$HERE/$1" "http://127.0.0.1:$PORT" | awk '/Requests\/sec/ {print $2}')
  echo "$rps * $2" | bc
}
swbench() {  # swbench NAME serve-flags... -> RESULT[NAME_1], RESULT[NAME_100]
  local name=$1; shift
  if [ "$name" = swp ]; then  # the prefilled store (its accounts come with it)
    "$BUILD/bench/store_loader" "$WORK/$name" "$PREFILL_KEYS" "$PREFILL_EVENTS" 1000
  fi
  "$BIN" serve --data "$WORK/$name" --listen 127.0.0.1:0 --threads 2 --sink null: "$@" \
    2> "$WORK/$name.log" &
  PIDS+=($!)
  PORT=$(spillway_ready_port "$WORK/$name.log") || { echo "spillway did not start"; cat "$WORK/$name.log"; exit 1; }
  curl -sf -o /dev/null -X POST -H "Authorization: Bearer bench-token" "http://127.0.0.1:$PORT/v1/drain/pause"
  [ "$name" = swp ] || for i in $(seq 0 999); do
    curl -sf -o /dev/null -X POST "http://127.0.0.1:$PORT/v1/admin/accounts" -H "Authorization: Bearer bench-token" \
      -H 'Content-Type: application/json' -d "{\"name\":\"bench$i\",\"write_key\":\"wk_bench_$i\"}"
  done
  RESULT[${name}_1]=$(swrun track.lua 1)
  RESULT[${name}_100]=$(swrun batch.lua 100)
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
}
swbench sw
swbench swnd --dedupe-window-s 0
[ "$PREFILL_KEYS" -gt 0 ] && swbench swp

printf '\n%-34s %12s %14s %12s %12s\n' "durable events/s, $CLIENTS clients" spillway "(dedupe off)" postgresql redis
for n in 1 100; do
  printf '%-34s %12.0f %14.0f %12.0f %12.0f\n' "$n event(s) per request/txn" "${RESULT[sw_$n]}" \
    "${RESULT[swnd_$n]}" "${RESULT[pg_$n]}" "${RESULT[redis_$n]}"
done
printf '\nsame semantics (deduplicated by account + messageId):\n'
printf '%-34s %12s %14s %12s %14s\n' "durable events/s, $CLIENTS clients" spillway "pg unique" "spillway $PREFILL_KEYS" "pg $PREFILL_KEYS"
for n in 1 100; do
  printf '%-34s %12.0f %14.0f %12.0f %14.0f\n' "$n event(s) per request/txn" "${RESULT[sw_$n]}" \
    "${RESULT[pgu_$n]}" "${RESULT[swp_$n]:-0}" "${RESULT[pgup_$n]:-0}"
  printf 'ratio at %3s/txn: fresh spillway/pg-unique = %.2f   prefilled = %.2f   spillway/pg plain (no index) = %.2f\n' "$n" \
    "$(echo "${RESULT[sw_$n]} / ${RESULT[pgu_$n]}" | bc -l)" \
    "$(echo "${RESULT[swp_$n]:-0} / ${RESULT[pgup_$n]:-1}" | bc -l)" \
    "$(echo "${RESULT[sw_$n]} / ${RESULT[pg_$n]}" | bc -l)"
done
for n in 1 100; do
  printf 'ratio at %3s/txn: spillway/postgresql = %.2f (dedupe off %.2f)   spillway/redis = %.2f (dedupe off %.2f)\n' "$n" \
    "$(echo "${RESULT[sw_$n]} / ${RESULT[pg_$n]}" | bc -l)" "$(echo "${RESULT[swnd_$n]} / ${RESULT[pg_$n]}" | bc -l)" \
    "$(echo "${RESULT[sw_$n]} / ${RESULT[redis_$n]}" | bc -l)" "$(echo "${RESULT[swnd_$n]} / ${RESULT[redis_$n]}" | bc -l)"
done
