#!/usr/bin/env python3
"""One node, real binary: the accounts file (startup checks, admin API refusal, SIGHUP reload,
`spillway accounts new`), --node-id everywhere, scale-down (`spillway node drain`) and the
lingering close that lets a client writing a 12 or 64 MiB body first read the 400.
Usage: SPILLWAY_BIN=... node_test.py"""
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_lib import (ADMIN_TOKEN, Accounts, Checks, Node, Receiver, basic,  # noqa: E402
                         request, wait_until)


def ingest(port, key, n):
    body = json.dumps({"batch": [{"type": "track", "event": "e", "userId": "u",
                                  "properties": {"n": n}}]})
    return request(port, "POST", "/v1/batch", body,
                   {"Authorization": basic(key), "Content-Type": "application/json"})


def cli(*args, port=None):
    env = dict(os.environ, SPILLWAY_ADMIN_TOKEN=ADMIN_TOKEN)
    url = ["--url", f"http://127.0.0.1:{port}"] if port else []
    r = subprocess.run([os.environ["SPILLWAY_BIN"], *args, *url],
                       env=env, capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def startup_checks(c, root):
    accounts = Accounts(os.path.join(root, "bad.json"), 1)
    accounts.write('{"version":1,"accounts":[{"name":"a","write_key_sha256":"xyz"}]}')
    node = Node(root, "bad", ["--accounts-file", accounts.path])
    try:
        node.start()
        c.check("a broken accounts file stops startup", False)
    except RuntimeError:
        c.check("a broken accounts file stops startup",
                node.proc.wait(10) != 0 and 'accounts[0] (\\"a\\"): write_key_sha256' in node.log(),
                node.log()[-300:])
    # An account made through the admin API, then a file that does not name it: ambiguous.
    api = Node(root, "api").start()
    s, _, _ = api.admin("POST", "/v1/admin/accounts", {"name": "legacy"})
    api.stop()
    good = Accounts(os.path.join(root, "good.json"), 1)
    api.args = ["--accounts-file", good.path]
    try:
        api.start()
        c.check("a data dir with accounts the file does not name stops startup", False)
    except RuntimeError:
        c.check("a data dir with accounts the file does not name stops startup",
                s == 201 and api.proc.wait(10) != 0 and "does not name: legacy" in api.log(),
                api.log()[-300:])


def accounts_file(c, root, receiver):
    accounts = Accounts(os.path.join(root, "accounts.json"), 2)
    node = Node(root, "n1", ["--accounts-file", accounts.path,
                             "--sink", f"http://127.0.0.1:{receiver.port}/hook"]).start()
    key0 = accounts.keys["acct000"]
    c.check("a key from the file is accepted", ingest(node.port, key0, 0)[0] == 200)
    c.check("an unknown key is refused 401", ingest(node.port, "wk_nope_nope", 0)[0] == 401)
    s, b, _ = node.admin("POST", "/v1/admin/accounts", {"name": "x"})
    c.check("the admin API does not create accounts when the file manages them",
            s == 400 and "--accounts-file" in json.dumps(b), f"{s} {b}")
    code, out = cli("accounts", "new", "newbie", "--weight", "3")
    m = re.search(r"write_key (\S+)", out)
    entry = json.loads(out.strip().splitlines()[-1])
    c.check("`accounts new` prints the key once and an entry with digests only",
            code == 0 and m and entry["name"] == "newbie" and entry["weight"] == 3 and
            m.group(1) not in out.strip().splitlines()[-1], out)
    accounts.extra.append(entry)
    accounts.write()
    node.hup()
    c.check("after SIGHUP the new key works",
            wait_until(lambda: ingest(node.port, m.group(1), 0)[0] == 200, 5))
    s, b, _ = node.admin("GET", "/v1/accounts")
    weights = {a["name"]: a["weight"] for a in b["accounts"]}
    c.check("the file's weight is applied", weights.get("newbie") == 3, str(weights))
    accounts.write('{"version":1,"accounts":[{"name":"acct000","weight":0}]}')
    node.hup()
    c.check("a broken file on SIGHUP is refused with its reason",
            wait_until(lambda: "accounts file refused" in node.log() and
                       "weight must be an integer" in node.log(), 5))
    c.check("... and the old set stays", ingest(node.port, m.group(1), 1)[0] == 200 and
            ingest(node.port, key0, 1)[0] == 200)
    accounts.write()
    return node, accounts


def node_identity(c, node, receiver):
    c.check("delivered events carry the node id",
            wait_until(lambda: any(e[1] == "n1" for e in receiver.snapshot()), 10),
            str(receiver.snapshot()[:3]))
    s, text, _ = request(node.port, "GET", "/metrics")
    text = text.decode() if isinstance(text, bytes) else str(text)
    samples = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    c.check("every metric sample carries node=\"n1\"",
            samples and all('node="n1"' in ln for ln in samples),
            next((ln for ln in samples if 'node="n1"' not in ln), ""))
    s, b, _ = node.admin("GET", "/v1/backlog")
    c.check("the backlog API names the node", s == 200 and b.get("node") == "n1", str(b)[:200])
    c.check("log lines carry node=n1", "msg=ready" in node.log() and
            all(ln.endswith("node=n1") for ln in node.log().splitlines() if "msg=ready" in ln))


def drain(c, node, accounts, receiver):
    receiver.down = True
    key = accounts.keys["acct001"]
    for n in range(20):
        ingest(node.port, key, n)
    code, out = cli("node", "drain", port=node.port)
    c.check("`spillway node drain` starts a drain", code == 0 and "draining" in out, out)
    s, b, _ = request(node.port, "GET", "/readyz")
    c.check("/readyz answers 503 draining", s == 503 and b["error"]["code"] == "draining")
    s, b, h = ingest(node.port, key, 99)
    c.check("ingest answers 503 draining with Retry-After",
            s == 503 and b["error"]["code"] == "draining" and "Retry-After" in h, f"{s} {b}")
    s, text, _ = request(node.port, "GET", "/metrics")
    c.check("metric spillway_node_draining is 1",
            'spillway_node_draining{node="n1"} 1' in text.decode())
    receiver.down = False
    code, out = cli("node", "drain", "--wait", "30", port=node.port)
    c.check("the node reports drained once its backlog is delivered",
            code == 0 and "drained (queued 0" in out, out)
    s, text, _ = request(node.port, "GET", "/metrics")
    c.check("metric spillway_node_drained is 1",
            'spillway_node_drained{node="n1"} 1' in text.decode())
    got = {e[2] for e in receiver.snapshot() if e[0] == "acct001"}
    c.check("nothing acknowledged was lost", set(range(20)) <= got)
    code, out = cli("node", "undrain", port=node.port)
    c.check("undrain serves again", code == 0 and "serving" in out and
            ingest(node.port, key, 100)[0] == 200, out)


def oversized(c, port, key, mib):
    """Writes the whole body before reading, as Python's http.client does, then reads."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    start = time.time()
    try:
        conn.putrequest("POST", "/v1/batch")
        conn.putheader("Authorization", basic(key))
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(mib << 20))
        conn.endheaders()
        chunk = b" " * (1 << 20)
        for _ in range(mib):
            conn.send(chunk)
        r = conn.getresponse()
        body = json.loads(r.read())
        return r.status, body["error"]["code"], time.time() - start
    except OSError as e:
        return 0, repr(e), time.time() - start
    finally:
        conn.close()


def main():
    c = Checks()
    receiver = Receiver()
    with tempfile.TemporaryDirectory(prefix="spillway-node-") as root:
        node = None
        try:
            startup_checks(c, root)
            node, accounts = accounts_file(c, root, receiver)
            node_identity(c, node, receiver)
            drain(c, node, accounts, receiver)
            for mib in (12, 64):
                s, code, secs = oversized(c, node.port, accounts.keys["acct000"], mib)
                c.check(f"a {mib} MiB body written before reading gets the 400 too_large",
                        s == 400 and code == "too_large", f"{s} {code} {secs:.1f}s")
            c.check("the node stops cleanly", node.stop() == 0)
        finally:
            Node.kill_all()
            receiver.stop()
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
