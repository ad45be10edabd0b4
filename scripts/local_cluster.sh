#!/usr/bin/env bash
# A local N-node spillway cluster behind HAProxy, for trying docs/cluster.md on one machine:
# nodes on 127.0.0.1:8081.., HAProxy on 127.0.0.1:8080, one shared accounts file with the
# account `demo` (its write key is printed), each node's file sink in its data directory.
# usage: scripts/local_cluster.sh SPILLWAY_BIN DIR [N=3]
# Installs Debian's haproxy when missing. Prints the PIDs and the line that stops them.
set -euo pipefail
BIN=$(realpath "$1") DIR=$2 N=${3:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/ensure_command.sh"
source "$HERE/ready_port.sh"
export PATH=$PATH:/usr/sbin
spillway_ensure_command "$DIR.apt.log" haproxy haproxy || { echo "haproxy missing"; exit 1; }
mkdir -p "$DIR"
"$BIN" accounts new demo > "$DIR/demo.credentials"
printf '{"version":1,"accounts":[%s]}\n' "$(tail -1 "$DIR/demo.credentials")" \
  > "$DIR/accounts.json"
export SPILLWAY_ADMIN_TOKEN=${SPILLWAY_ADMIN_TOKEN:-local-cluster-admin-token}
PIDS=() NODES=()
# Every node gets the whole list (its own entry is recognised and counted once), so any
# node's dashboard shows the cluster.
PEERS=$(for i in $(seq 1 "$N"); do printf 'http://127.0.0.1:%d,' $((8080 + i)); done)
for i in $(seq 1 "$N"); do
  PORT=$((8080 + i))
  "$BIN" serve --data "$DIR/n$i" --listen "127.0.0.1:$PORT" --node-id "n$i" \
    --accounts-file "$DIR/accounts.json" --cluster-nodes "$PEERS" 2> "$DIR/n$i.log" &
  PIDS+=($!)
  spillway_ready_port "$DIR/n$i.log" > /dev/null || { cat "$DIR/n$i.log"; exit 1; }
  NODES+=("127.0.0.1:$PORT")
done
python3 "$HERE/../deploy/lb_config.py" --listen 127.0.0.1:8080 \
  --nodes "$(IFS=,; echo "${NODES[*]}")" > "$DIR/haproxy.cfg"
haproxy -db -f "$DIR/haproxy.cfg" > "$DIR/haproxy.log" 2>&1 &
PIDS+=($!)
# Ready once HAProxy's first /readyz checks passed and it routes to a node.
for _ in $(seq 1 100); do
  curl -sf -o /dev/null http://127.0.0.1:8080/readyz && break
  sleep 0.1
done
echo "cluster up: HAProxy on 127.0.0.1:8080, nodes ${NODES[*]}"
echo "admin token: $SPILLWAY_ADMIN_TOKEN (export it for the CLI)"
echo "dashboard with the cluster view: http://127.0.0.1:8081/"
grep '^write_key ' "$DIR/demo.credentials"
echo "try: curl -u WRITE_KEY: -H 'Content-Type: application/json' localhost:8080/v1/batch \\"
echo "       -d '{\"batch\":[{\"type\":\"track\",\"userId\":\"u1\",\"event\":\"Signed Up\"}]}'"
echo "stop: kill ${PIDS[*]}"
