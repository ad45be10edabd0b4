#!/bin/bash
# Real-SDK test: installs @segment/analytics-node with npm into a temp dir, points it at a
# real `spillway serve`, sends events for several write keys, then checks the store.
# usage: run_sdk_test.sh SPILLWAY_BIN STORE_DUMP_BIN SDK_DIR
# Installs Debian's nodejs/npm when absent. Exit 77 (meson: skipped) when node/npm cannot be
# installed or the npm registry is unavailable.
set -u
source "$(dirname "$0")/../../../scripts/ready_port.sh"
BIN=$1 DUMP=$2 SDK_DIR=$3
ACCOUNTS=4 PER_ACCOUNT=${SDK_EVENTS_PER_ACCOUNT:-100}
WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

source "$(dirname "$0")/../../../scripts/ensure_command.sh"
if ! spillway_ensure_command "$WORK/apt.log" node nodejs npm ||
   ! spillway_ensure_command "$WORK/apt.log" npm npm; then
  echo "SKIP: node/npm not installed and apt-get could not install them:"
  tail -5 "$WORK/apt.log"
  exit 77
fi
if ! timeout 30 npm ping >/dev/null 2>&1; then
  echo "SKIP: npm registry unreachable (npm ping failed)"; exit 77
fi
cp "$SDK_DIR/send.js" "$SDK_DIR/check.js" "$WORK/"
( cd "$WORK" && echo '{"name":"spillway-sdk-test","private":true}' > package.json &&
  timeout 300 npm install --no-audit --no-fund --silent @segment/analytics-node@2 ) ||
  { echo "FAIL: npm install @segment/analytics-node failed although the registry answered"; exit 1; }

TOKEN=sdk-test-admin-token
# The sink refuses connections so every event stays queued for the store check below.
SPILLWAY_ADMIN_TOKEN=$TOKEN "$BIN" serve --data "$WORK/data" --listen 127.0.0.1:0 \
  --threads 2 --min-free-disk-bytes 0 --sink http://127.0.0.1:1/refused 2> "$WORK/server.log" &
PID=$!
PORT=$(spillway_ready_port "$WORK/server.log") ||
  { echo "FAIL: server not ready"; cat "$WORK/server.log"; exit 1; }

echo '[' > "$WORK/accounts.json"
for i in $(seq 1 $ACCOUNTS); do
  body=$(curl -sf -X POST "http://127.0.0.1:$PORT/v1/admin/accounts" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"name\":\"sdk$i\"}") || { echo "FAIL: create account"; exit 1; }
  [ "$i" -gt 1 ] && echo ',' >> "$WORK/accounts.json"
  echo "$body" >> "$WORK/accounts.json"
done
echo ']' >> "$WORK/accounts.json"

( cd "$WORK" && node send.js "http://127.0.0.1:$PORT" accounts.json "$PER_ACCOUNT" sent.jsonl ) ||
  { echo "FAIL: SDK reported delivery failures"; tail -20 "$WORK/server.log"; exit 1; }

kill -TERM "$PID"; wait "$PID"; CODE=$?; PID=
[ "$CODE" -eq 0 ] || { echo "FAIL: server exited $CODE after SIGTERM"; exit 1; }
"$DUMP" "$WORK/data" > "$WORK/stored.jsonl" || { echo "FAIL: store dump"; exit 1; }
node "$WORK/check.js" "$WORK/sent.jsonl" "$WORK/stored.jsonl"
