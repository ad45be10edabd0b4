#!/usr/bin/env python3
"""Three (then four) `spillway serve` nodes behind the real HAProxy from Debian, sharing one
accounts file, delivering to one recording downstream (down, then up), under a steady load of
one event per account per round (docs/cluster.md, "Failover"). Scenarios, in order:
  mapping      every account maps to one node while all are healthy (read from deliveries)
  failover     kill -9 one node under load: its accounts succeed on other nodes within the
               check interval, the others see no error; after its restart every acknowledged
               event is delivered, in order per account within each node; its accounts return
  strict       the strict-order config: no account stored on two nodes; 503/502 then success
  scale-up     a fourth node moves about a quarter of the accounts, none losing events
  scale-down   drain one node under load: drained, empty, no acknowledged event lost
  accounts     add an account and SIGHUP every node: its key works on all; a broken file keeps
               the old set and says why
  too large    a 12 MiB body through the balancer gets spillway's JSON 400
Usage: SPILLWAY_BIN=... cluster_test.py [--balancer haproxy|nginx]"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_lib import (ADMIN_TOKEN, Accounts, Balancer, Checks, Client, Load, Node,  # noqa
                         Receiver, basic, missing, node_of, order_violations, request,
                         wait_until)
from node_test import oversized  # noqa: E402

ACCOUNTS = 200
CHECK_MS = 300  # HAProxy /readyz interval; a node leaves the ring after 2 failed checks


def mapping_of_round(receiver, client, names, n):
    """account -> node that delivered its event number n."""
    out = {}
    for account, node, got, _ in receiver.snapshot():
        if account in names and got == n:
            out[account] = node
    return out


def mapping_now(c, what, client, receiver, names):
    """Sends one event per account with a common n, waits for delivery, returns the mapping
    account -> node those events came from."""
    n = max(client.next_n.values())
    for a in names:
        client.next_n[a] = n
    client.round(names, threads=8)
    deliver_all(c, what, client, receiver)
    return mapping_of_round(receiver, client, names, n)


def deliver_all(c, what, client, receiver, timeout_s=60):
    ok = wait_until(lambda: not missing(client, receiver), timeout_s, 0.25)
    lost = missing(client, receiver)
    c.check(f"{what}: every acknowledged event is delivered", ok,
            f"{sum(len(v) for v in lost.values())} missing in {len(lost)} accounts")


def mapping(c, client, receiver, names):
    client.round(names, threads=8)
    deliver_all(c, "mapping", client, receiver)
    nodes = node_of(receiver, names)
    one = all(len(v) == 1 for v in nodes.values()) and len(nodes) == len(names)
    c.check("mapping: every account's events come from one node", one)
    home = {a: next(iter(v)) for a, v in nodes.items()}
    per_node = {}
    for node in home.values():
        per_node[node] = per_node.get(node, 0) + 1
    c.check("mapping: every node holds accounts", len(per_node) == 3, str(per_node))
    return home


def outage(client, names, receiver, victim, down_s, back_s, full_round=False):
    """kill -9 `victim` under load with the downstream down, restart it on its port after
    `down_s` (and, with `full_round`, not before a whole round of the load began and ended
    while it was down), keep the load `back_s` more; returns the time of the kill."""
    receiver.down = True
    load = Load(client, names).start()
    time.sleep(1.0)
    killed_at = time.time()
    victim.kill9()
    rounds_at_kill = load.rounds
    time.sleep(down_s)
    if full_round:
        # The round under way at the kill ends, then one that started after it: every account
        # sent an event while the node was down. A round takes ~0.5 s here but several seconds
        # on a slow or loaded machine (200 requests, 4 at a time, each a commit).
        wait_until(lambda: load.rounds >= rounds_at_kill + 2, 120)
    victim.start(port=victim.port)
    wait_until(lambda: request(victim.port, "GET", "/readyz")[0] == 200, 30)
    time.sleep(back_s)
    load.stop()
    return killed_at


def failover(c, nodes, client, receiver, names, home, kind):
    victim = nodes[1]
    theirs = {a for a in names if home[a] == victim.node_id}
    # HAProxy's rise checks bring it back; nginx retries it after fail_timeout (5 s).
    # Down for a whole round, so that each of its accounts is taken by another node meanwhile.
    killed_at = outage(client, names, receiver, victim, 2.5, 1.5 if kind == "haproxy" else 5.5,
                       full_round=True)
    after = [f for f in client.failures if f[0] >= killed_at]
    others = [f for f in after if f[1] not in theirs]
    last = max((f[0] for f in after if f[1] in theirs), default=killed_at)
    c.check("failover: the other nodes' accounts see no errors", not others, str(others[:5]))
    c.check("failover: the victim's accounts succeed again within the check interval",
            last - killed_at <= 2 * CHECK_MS / 1000 + 1.0, f"{last - killed_at:.2f}s")
    receiver.down = False
    deliver_all(c, "failover", client, receiver, 90)
    moved = [a for a, v in node_of(receiver, theirs).items() if len(v) > 1]
    c.check("failover: the victim's accounts were taken by other nodes meanwhile",
            len(moved) == len(theirs), f"{len(moved)} of {len(theirs)}")
    bad = order_violations(receiver)
    c.check("failover: per-account order holds within each node", not bad, str(sorted(bad)[:5]))
    back = mapping_now(c, "failover return", client, receiver, names)
    moved = [a for a in names if back.get(a) != home[a]]
    c.check("failover: when the node returns its accounts return to it", not moved,
            f"{len(moved)} elsewhere")


def strict(c, root, nodes, keys, receiver, names, kind):
    lb = Balancer(root, kind, [n.port for n in nodes], strict=True, name="strict").start()
    try:
        client = Client(lb.port, keys)
        for a in names:
            client.next_n[a] = 1_000_000
        # Longer than HAProxy's retries (2, one second apart), so clients do see the 503s.
        killed_at = outage(client, names, receiver, nodes[2], 4.0, 1.0)
        receiver.down = False
        statuses = {f[2] for f in client.failures if f[0] >= killed_at}
        c.check("strict: clients of the down node see 503/502", statuses and
                statuses <= {502, 503}, str(statuses))
        c.check("strict: their retries succeed once the node is back", client.gave_up == 0,
                f"{client.gave_up} gave up")
        deliver_all(c, "strict", client, receiver, 90)
        spread = {}
        for account, node, n, _ in receiver.snapshot():
            if n >= 1_000_000:
                spread.setdefault(account, set()).add(node)
        two = [a for a, v in spread.items() if len(v) > 1]
        c.check("strict: no account's events are stored on two nodes", not two, str(two[:5]))
    finally:
        lb.stop()


def scale_up(c, root, nodes, lb, client, receiver, names, home, kind):
    fourth = Node(root, "n4", nodes[0].args).start()
    nodes.append(fourth)
    lb.stop()
    new_lb = Balancer(root, kind, [n.port for n in nodes], name="lb4",
                      check_ms=CHECK_MS).start()
    client.port = new_lb.port
    time.sleep(2 * CHECK_MS / 1000 + 0.3)
    now = mapping_now(c, "scale-up", client, receiver, names)
    moved = [a for a in names if now.get(a) != home[a]]
    to_new = all(now.get(a) == "n4" for a in moved)
    share = len(moved) / len(names)
    print(f"scale-up: {len(moved)} of {len(names)} accounts moved ({share:.1%}), "
          f"ideal 1/4 = 25%", flush=True)
    # What consistent hashing promises is that accounts move only to the new node; the share is
    # about a quarter, but nginx's ring is built from the nodes' addresses, random ports here,
    # and with 200 accounts it spread 17-33% over runs (a 25 +- 7.5% bound failed ~2% of runs).
    # A modulo hash would move ~75%, among the old nodes too: both bounds still catch it.
    c.check("scale-up: about a quarter of the accounts move, all to the new node",
            0.10 <= share <= 0.40 and to_new, f"{share:.1%}")
    return new_lb, now


def scale_down(c, nodes, client, receiver, names):
    leaving = nodes[0]
    receiver.down = True
    load = Load(client, names).start()
    time.sleep(1.0)
    env = dict(os.environ, SPILLWAY_ADMIN_TOKEN=ADMIN_TOKEN)
    drain = subprocess.Popen([os.environ["SPILLWAY_BIN"], "node", "drain", "--wait", "60",
                              "--url", f"http://127.0.0.1:{leaving.port}"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(1.5)
    receiver.down = False
    out, _ = drain.communicate(timeout=90)
    time.sleep(0.5)
    load.stop()
    c.check("scale-down: the node reports drained", drain.returncode == 0 and "drained" in out,
            out.strip())
    s, b, _ = leaving.admin("GET", "/v1/node")
    c.check("scale-down: its backlog is empty", s == 200 and b["depth"] == 0 and
            b["state"] == "drained", str(b))
    s, b, _ = request(leaving.port, "GET", "/readyz")
    c.check("scale-down: it stays out of the ring", s == 503)
    c.check("scale-down: it stops cleanly", leaving.stop() == 0)
    deliver_all(c, "scale-down", client, receiver)
    nodes.remove(leaving)


def accounts_reload(c, nodes, accounts, lb):
    env = dict(os.environ, SPILLWAY_ADMIN_TOKEN=ADMIN_TOKEN)
    out = subprocess.run([os.environ["SPILLWAY_BIN"], "accounts", "new", "late"], env=env,
                         capture_output=True, text=True, check=True).stdout
    key = next(ln.split()[1] for ln in out.splitlines() if ln.startswith("write_key"))
    accounts.extra.append(json.loads(out.strip().splitlines()[-1]))
    accounts.write()
    for n in nodes:
        n.hup()
    body = json.dumps({"batch": [{"type": "track", "event": "e", "userId": "u"}]})
    h = {"Authorization": basic(key), "Content-Type": "application/json"}
    ok = all(wait_until(lambda n=n: request(n.port, "POST", "/v1/batch", body, h)[0] == 200, 5)
             for n in nodes)
    c.check("accounts: after SIGHUP a new key works on every node", ok)
    c.check("accounts: ... and through the balancer",
            request(lb.port, "POST", "/v1/batch", body, h)[0] == 200)
    accounts.write('{"version":1,"accounts":[]}')
    for n in nodes:
        n.hup()
    said = all(wait_until(lambda n=n: "accounts file refused" in n.log(), 5) for n in nodes)
    c.check("accounts: a broken file is refused on every node, saying why", said and
            all("does not name" in n.log() for n in nodes))
    c.check("accounts: ... and the old set stays", all(
        request(n.port, "POST", "/v1/batch", body, h)[0] == 200 for n in nodes))
    accounts.write()


def one_view(c, nodes):
    env = dict(os.environ, SPILLWAY_ADMIN_TOKEN=ADMIN_TOKEN)
    dead = "http://127.0.0.1:9"
    urls = [f"http://127.0.0.1:{n.port}" for n in nodes]
    r = subprocess.run([os.environ["SPILLWAY_BIN"], "status", "--nodes", ",".join(urls + [dead])],
                       env=env, capture_output=True, text=True, timeout=60)
    rows = [ln for ln in r.stdout.splitlines() if ln.split() and ln.split()[0] in
            {n.node_id for n in nodes}]
    c.check("one view: status --nodes shows a row per node and the totals",
            len(rows) == len(nodes) and f"total      {len(nodes)} of {len(nodes) + 1} nodes"
            in r.stdout, r.stdout)
    c.check("one view: ... and exits non-zero naming the node that did not answer",
            r.returncode == 3 and dead in r.stderr, f"{r.returncode} {r.stderr.strip()}")
    r = subprocess.run([os.environ["SPILLWAY_BIN"], "pause", "--nodes", ",".join(urls)],
                       env=env, capture_output=True, text=True, timeout=60)
    paused = all(n.admin("GET", "/v1/backlog")[1]["drain"]["state"] == "paused" for n in nodes)
    r2 = subprocess.run([os.environ["SPILLWAY_BIN"], "resume", "--nodes", ",".join(urls)],
                        env=env, capture_output=True, text=True, timeout=60)
    c.check("one view: pause/resume --nodes act on every node",
            r.returncode == 0 and paused and r2.returncode == 0 and
            r.stdout.count("== ") == len(nodes), r.stdout + r.stderr)
    cap = 1000 * len(nodes)
    r = subprocess.run([os.environ["SPILLWAY_BIN"], "limits", "--nodes", ",".join(urls),
                        "--cluster-rate", str(cap)], env=env, capture_output=True, text=True,
                       timeout=60)
    shares = [n.admin("GET", "/v1/backlog")[1]["drain"]["max_events_per_sec"] for n in nodes]
    subprocess.run([os.environ["SPILLWAY_BIN"], "limits", "--nodes", ",".join(urls),
                    "--cluster-rate", "0"], env=env, capture_output=True, timeout=60)
    c.check(f"one view: limits --cluster-rate {cap} gives each node 1000 events/s",
            r.returncode == 0 and shares == [1000] * len(nodes), f"{shares} {r.stderr}")


def body_in_write_key(c, lb, client):
    """No Authorization header: HAProxy spreads these round robin; any node takes them."""
    name = sorted(client.keys)[-1]
    with client.lock:
        n = client.next_n[name]
        client.next_n[name] += 1
    body = json.dumps({"writeKey": client.keys[name], "batch": [
        {"type": "track", "event": "e", "userId": "u", "properties": {"n": n}}]})
    s, _, _ = request(lb.port, "POST", "/v1/batch", body, {"Content-Type": "application/json"})
    if s == 200:
        client.acked[name].append(n)
    c.check("a write key in the body (no Authorization header) works through the balancer",
            s == 200, str(s))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--balancer", default="haproxy", choices=["haproxy", "nginx"])
    args = p.parse_args()
    c = Checks()
    receiver = Receiver()
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="spillway-cluster-") as root:
        accounts = Accounts(os.path.join(root, "accounts.json"), ACCOUNTS)
        names = sorted(accounts.keys)
        common = ["--accounts-file", accounts.path,
                  "--sink", f"http://127.0.0.1:{receiver.port}/hook"]
        nodes = [Node(root, f"n{i}", common) for i in (1, 2, 3)]
        lbs = []
        try:
            for n in nodes:
                n.start()
            lb = Balancer(root, args.balancer, [n.port for n in nodes], check_ms=CHECK_MS)
            lbs.append(lb.start())
            client = Client(lb.port, accounts.keys)
            home = mapping(c, client, receiver, names)
            body_in_write_key(c, lb, client)
            s, code, _ = oversized(c, lb.port, accounts.keys[names[0]], 12)
            c.check("too large: a 12 MiB body through the balancer gets the JSON 400",
                    s == 400 and code == "too_large", f"{s} {code}")
            kind = args.balancer
            failover(c, nodes, client, receiver, names, home, kind)
            strict(c, root, nodes, accounts.keys, receiver, names, kind)
            lb4, home = scale_up(c, root, nodes, lb, client, receiver, names, home, kind)
            lbs.append(lb4)
            scale_down(c, nodes, client, receiver, names)
            if kind == "haproxy":  # the rest does not depend on the balancer
                accounts_reload(c, nodes, accounts, lb4)
                one_view(c, nodes)
        finally:
            for b in lbs:
                b.stop()
            Node.kill_all()
            receiver.stop()
            if c.failed:
                for n in nodes:
                    print(f"--- {n.node_id} log tail\n" + n.log()[-1500:])
    print(f"cluster test took {time.time() - started:.1f}s")
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
