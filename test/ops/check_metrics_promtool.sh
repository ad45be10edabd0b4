#!/bin/bash
# Lints a real GET /metrics scrape with `promtool check metrics` (Debian's prometheus package,
# installed here when missing). The server has accounts, a backlog, a failing sink (so
# retries, latency and circuit series are populated) and one rejected request.
# Also checks that every series docs/grafana_dashboard.json queries exists in the scrape.
# usage: check_metrics_promtool.sh SPILLWAY_BIN GRAFANA_JSON
# Exit 77 (meson: skipped) only when promtool is absent and cannot be installed.
set -u
source "$(dirname "$0")/../../scripts/ready_port.sh"
BIN=$1 GRAFANA=$2
WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

source "$(dirname "$0")/../../scripts/ensure_command.sh"
if ! spillway_ensure_command "$WORK/apt.log" promtool prometheus; then
  echo "SKIP: promtool is not installed and apt-get could not install prometheus:"
  tail -5 "$WORK/apt.log"
  exit 77
fi

TOKEN=promtool-test-token
SPILLWAY_ADMIN_TOKEN=$TOKEN "$BIN" serve --data "$WORK/data" --listen 127.0.0.1:0 --threads 2 \
  --min-free-disk-bytes 0 --sink http://127.0.0.1:9/ --breaker-failures 2 \
  2> "$WORK/server.log" &
PID=$!
PORT=$(spillway_ready_port "$WORK/server.log") ||
  { echo "FAIL: server not ready"; cat "$WORK/server.log"; exit 1; }
URL=http://127.0.0.1:$PORT
for name in acme beta; do
  key=$(curl -sf -X POST "$URL/v1/admin/accounts" -H "Authorization: Bearer $TOKEN" \
    -d "{\"name\":\"$name\"}" | sed 's/.*"write_key":"\([^"]*\)".*/\1/') ||
    { echo "FAIL: create account"; exit 1; }
  curl -sf -u "$key:" "$URL/v1/batch" -H 'Content-Type: application/json' \
    -d '{"batch":[{"type":"track","event":"a","userId":"u1"},{"type":"track","event":"b","userId":"u2"},7]}' \
    > /dev/null || { echo "FAIL: ingest"; exit 1; }
done
curl -s -u "wrong:" "$URL/v1/batch" -d '{"batch":[]}' > /dev/null
sleep 2  # let the drainer fail a few deliveries
curl -sf "$URL/metrics" > "$WORK/metrics.txt" || { echo "FAIL: GET /metrics"; exit 1; }

echo "promtool $(promtool --version 2>&1 | head -1)"
if ! promtool check metrics < "$WORK/metrics.txt"; then
  echo "FAIL: promtool check metrics reported problems"; exit 1
fi
# Every sample carries the node label first (docs/cluster.md); the series below name the rest.
if grep -v '^#' "$WORK/metrics.txt" | grep -v '{node="' | grep -q .; then
  echo "FAIL: samples without the node label:"; grep -v '^#' "$WORK/metrics.txt" | grep -v '{node="' | head -3
  exit 1
fi
sed -E 's/\{node="[^"]*"\}//; s/\{node="[^"]*",/{/' "$WORK/metrics.txt" > "$WORK/plain.txt"
for series in 'spillway_backlog_events 4' 'spillway_account_backlog_events{account="acme"} 2' \
    'spillway_ingest_rejections_total{reason="unauthorized"} 1' \
    'spillway_commit_latency_seconds_bucket{le="+Inf"}' 'spillway_replay_retries_total{reason="connection"}'; do
  grep -qF "$series" "$WORK/plain.txt" || { echo "FAIL: missing \"$series\""; exit 1; }
done
python3 - "$GRAFANA" "$WORK/metrics.txt" <<'PY' || exit 1
import json, re, sys
dash = json.load(open(sys.argv[1]))
scraped = set()
for name, kind in re.findall(r"^# TYPE (spillway_[a-z_]+) (\w+)", open(sys.argv[2]).read(), re.M):
    scraped.add(name)
    if kind == "histogram":
        scraped.update(name + s for s in ("_bucket", "_sum", "_count"))
used = set()
for p in dash["panels"]:
    for t in p.get("targets", []):
        used.update(re.findall(r"spillway_[a-z_]+", t["expr"]))
missing = sorted(u for u in used if u not in scraped)
if missing:
    print("FAIL: the Grafana dashboard queries series the server does not export:", missing)
    sys.exit(1)
print(f"OK: the Grafana dashboard's {len(used)} series are all exported")
PY
echo "OK: $(grep -vc '^#' "$WORK/metrics.txt") samples, promtool check metrics clean"
kill -TERM "$PID"; wait "$PID"; CODE=$?; PID=
[ "$CODE" -eq 0 ] || { echo "FAIL: server exited $CODE after SIGTERM"; exit 1; }
