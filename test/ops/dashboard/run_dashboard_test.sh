#!/bin/bash
# Browser test of the dashboard: Debian's chromium, driven headless by playwright-core from npm
# (installed into the build dir; it never downloads a browser). Chromium and Debian's
# nodejs/npm are installed when absent.
# Starts `spillway serve` with a known backlog and a sink that is down, then
# dashboard_test.js loads GET /, enters the admin token, checks the totals and the top
# account, clicks pause and checks through the API, checks the one-line "retention off", and
# saves a screenshot. Then a second server with --retain-delivered-s and a null: sink, where
# dashboard_replay_test.js checks the retained events and a replay job's row and progress.
# usage: run_dashboard_test.sh SPILLWAY_BIN TEST_DIR BUILD_DIR
# Exit 77 (meson: skipped) when chromium cannot be installed or npm cannot fetch
# playwright-core; never a pass without a browser.
set -u
source "$(dirname "$0")/../../../scripts/ready_port.sh"
BIN=$1 TEST_DIR=$2 BUILD_DIR=$3
WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

source "$(dirname "$0")/../../../scripts/ensure_command.sh"
CHROMIUM=/usr/bin/chromium
if ! spillway_ensure_command "$WORK/apt.log" chromium chromium || [ ! -x "$CHROMIUM" ]; then
  echo "SKIP: chromium is not installed and apt-get could not install it:"
  tail -5 "$WORK/apt.log"
  exit 77
fi
if ! spillway_ensure_command "$WORK/apt.log" node nodejs npm ||
   ! spillway_ensure_command "$WORK/apt.log" npm npm; then
  echo "SKIP: node/npm not installed and apt-get could not install them (needed to drive chromium):"
  tail -5 "$WORK/apt.log"
  exit 77
fi
# Current Playwright needs Node.js 20; Debian 12's nodejs is 18, which 1.48 still supports.
PLAYWRIGHT=playwright-core@1
[ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ] && PLAYWRIGHT=playwright-core@1.48
NODE_DIR=$BUILD_DIR/dashboard-node
if [ ! -f "$NODE_DIR/node_modules/playwright-core/package.json" ]; then
  mkdir -p "$NODE_DIR"
  echo '{"name":"spillway-dashboard-test","private":true}' > "$NODE_DIR/package.json"
  if ! ( cd "$NODE_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 npm install \
      --no-audit --no-fund --silent "$PLAYWRIGHT" ) > "$WORK/npm.log" 2>&1; then
    if ! timeout 30 npm ping > /dev/null 2>&1; then
      echo "SKIP: the npm registry is unreachable; cannot install playwright-core"; exit 77
    fi
    echo "FAIL: npm install playwright-core failed although the registry answered"
    cat "$WORK/npm.log"; exit 1
  fi
fi

TOKEN=dashboard-test-token
SPILLWAY_ADMIN_TOKEN=$TOKEN "$BIN" serve --data "$WORK/data" --listen 127.0.0.1:0 --threads 2 \
  --min-free-disk-bytes 0 --sink http://127.0.0.1:9/ --retry-max-ms 2000 \
  2> "$WORK/server.log" &
PID=$!
PORT=$(spillway_ready_port "$WORK/server.log") ||
  { echo "FAIL: server not ready"; cat "$WORK/server.log"; exit 1; }

mkdir -p "$WORK/profile"
NODE_PATH=$NODE_DIR/node_modules node "$TEST_DIR/dashboard_test.js" "http://127.0.0.1:$PORT" \
  "$TOKEN" "$BUILD_DIR/dashboard.png" "$WORK/profile" "$CHROMIUM"
CODE=$?
if [ $CODE -ne 0 ]; then
  echo "--- server log (tail)"; tail -20 "$WORK/server.log"; exit $CODE
fi
grep -q 'msg="drain paused" actor=admin@127.0.0.1' "$WORK/server.log" ||
  { echo "FAIL: the pause was not logged with its actor"; exit 1; }
if grep -q "$TOKEN" "$WORK/server.log"; then echo "FAIL: the admin token was logged"; exit 1; fi
kill -TERM "$PID"; wait "$PID"; CODE=$?; PID=
[ "$CODE" -eq 0 ] || { echo "FAIL: server exited $CODE after SIGTERM"; exit 1; }

# Retention and replays: every event is delivered (null:) and kept; a replay job of a paused
# drain fills its account's queue to the window of 4 and waits there, visible. --open-reads:
# the backlog needs no token, the replay jobs still do.
SPILLWAY_ADMIN_TOKEN=$TOKEN "$BIN" serve --data "$WORK/data2" --listen 127.0.0.1:0 --threads 2 \
  --min-free-disk-bytes 0 --sink null: --retain-delivered-s 3600 --replay-account-window 4 \
  --open-reads 1 \
  2> "$WORK/server2.log" &
PID=$!
PORT=$(spillway_ready_port "$WORK/server2.log") ||
  { echo "FAIL: second server not ready"; cat "$WORK/server2.log"; exit 1; }
mkdir -p "$WORK/profile2"
NODE_PATH=$NODE_DIR/node_modules node "$TEST_DIR/dashboard_replay_test.js" \
  "http://127.0.0.1:$PORT" "$TOKEN" "$BUILD_DIR/dashboard-replays.png" "$WORK/profile2" "$CHROMIUM"
CODE=$?
if [ $CODE -ne 0 ]; then
  echo "--- second server log (tail)"; tail -20 "$WORK/server2.log"; exit $CODE
fi
kill -TERM "$PID"; wait "$PID"; CODE=$?; PID=
[ "$CODE" -eq 0 ] || { echo "FAIL: the second server exited $CODE after SIGTERM"; exit 1; }
echo "OK: screenshots at $BUILD_DIR/dashboard.png and $BUILD_DIR/dashboard-replays.png"
