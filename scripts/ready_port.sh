#!/usr/bin/env bash
# Sourced by the test and bench scripts that start `spillway serve --listen 127.0.0.1:0`.
# spillway_ready_port LOG: waits up to 10 s for the server's "msg=ready listen=..." line in LOG
# (its stderr) and prints the port it bound; returns 1 when the line never came.
spillway_ready_port() {
  local log=$1 port=
  for _ in $(seq 1 500); do
    port=$(grep -o 'msg=ready listen=127.0.0.1:[0-9]*' "$log" | sed 's/.*://' || true)
    if [ -n "$port" ]; then
      echo "$port"
      return 0
    fi
    sleep 0.02
  done
  return 1
}
