#!/usr/bin/env python3
"""The outage drill through a balancer over 3 nodes (docs/cluster.md, "Each node schedules
alone"): with the downstream down, A accounts ingest a Zipf(s) backlog through HAProxy (each
account lands on one node by its write key); then the downstream comes back as one serial
server of capacity C events/s shared by the three nodes, and every node drains its own
backlog with its own fair scheduler. The merged delivery log is judged by
`fairsim.py analyze --check` against the ideal max-min fair schedule of the whole input, and
the per-node catch-up times are printed.

  SPILLWAY_BIN=build/app/spillway bench/cluster_drill.py [--accounts 300] [--events 30000]
      [--capacity 3000] [--out /tmp/cluster-drill]

Standard library only; HAProxy from Debian (installed by the caller, e.g. test/cluster's
runner). Smaller than bench/outage_drill.sh (no live traffic) so it runs on a laptop in a
minute; the numbers are for comparison with a single node run the same way (--nodes 1).
"""
import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "cluster"))
from cluster_lib import (Accounts, Balancer, Node, Receiver, basic, request,  # noqa: E402
                         wait_until)

FAIRSIM = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "tools", "fairsim.py"))


def zipf_sizes(accounts, events, s, rng):
    weights = [1 / (i + 1) ** s for i in range(accounts)]
    total = sum(weights)
    sizes = [max(1, round(events * w / total)) for w in weights]
    rng.shuffle(sizes)
    return sizes


def ingest(port, keys, sizes, threads=4):
    jobs = [(name, n) for (name, key), n in zip(sorted(keys.items()), sizes)]
    lock = threading.Lock()
    failed = []

    def worker():
        while True:
            with lock:
                if not jobs:
                    return
                name, left = jobs.pop()
            while left > 0:
                n = min(left, 100)
                body = json.dumps({"batch": [{"type": "track", "event": "e", "userId": "u"}] * n})
                s, _, _ = request(port, "POST", "/v1/batch", body,
                                  {"Authorization": basic(keys[name]),
                                   "Content-Type": "application/json"})
                if s != 200:
                    failed.append((name, s))
                    time.sleep(0.1)
                    continue
                left -= n

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return failed


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--nodes", type=int, default=3)
    p.add_argument("--accounts", type=int, default=300)
    p.add_argument("--events", type=int, default=30000)
    p.add_argument("--zipf", type=float, default=1.1)
    p.add_argument("--capacity", type=float, default=3000)
    p.add_argument("--out", default="/tmp/spillway-cluster-drill")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    sink = Receiver(capacity=a.capacity)
    sink.down = True
    accounts = Accounts(os.path.join(a.out, "accounts.json"), a.accounts)
    sizes = zipf_sizes(a.accounts, a.events, a.zipf, random.Random(7))
    common = ["--accounts-file", accounts.path, "--sink", f"http://127.0.0.1:{sink.port}/hook",
              "--retry-max-ms", "200"]
    nodes = [Node(a.out, f"d{i}-{int(time.time())}", common) for i in range(1, a.nodes + 1)]
    lb = None
    try:
        for n in nodes:
            n.start()
        lb = Balancer(a.out, "haproxy", [n.port for n in nodes], name="drill").start()
        t0 = time.time()
        failed = ingest(lb.port, accounts.keys, sizes)
        total = sum(sizes)
        print(f"ingested {total} events of {a.accounts} accounts in {time.time() - t0:.1f} s "
              f"({len(failed)} retried requests)", flush=True)
        sink.down = False
        t_up = time.time()
        wait_until(lambda: len(sink.rows) >= total, 600, 0.5)
        print(f"drained {len(sink.rows)} events in {time.time() - t_up:.1f} s "
              f"({len(sink.rows) / (time.time() - t_up):.0f}/s of C = {a.capacity:.0f})")
    finally:
        if lb:
            lb.stop()
        Node.kill_all()
    per_node = {}
    for _, account, _, _, node in sink.rows:
        per_node.setdefault(node, set()).add(account)
    for node, accts in sorted(per_node.items()):
        n_events = sum(1 for r in sink.rows if r[4] == node)
        last = max(r[0] for r in sink.rows if r[4] == node) - t_up
        print(f"  {node}: {len(accts)} accounts, {n_events} events, done at {last:.1f} s")
    log = os.path.join(a.out, "deliveries.csv")
    with open(log, "w") as f:
        f.write("timestamp,account,seq,enqueue_time\n")
        for r in sorted(sink.rows):
            f.write(f"{r[0]:.6f},{r[1]},{r[2]},{r[3]:.6f}\n")
    r = subprocess.run([sys.executable, FAIRSIM, "analyze", log, "--capacity",
                        str(a.capacity), "--drain-start", f"{t_up:.6f}", "--check"],
                       capture_output=True, text=True)
    print(r.stdout + r.stderr)
    return r.returncode


if __name__ == "__main__":
    sys.exit(main())
