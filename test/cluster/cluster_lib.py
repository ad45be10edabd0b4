"""Real processes for the cluster tests (stdlib only): spillway nodes sharing an accounts file,
a recording webhook receiver, HAProxy/nginx from deploy/lb_config.py, and a client that retries
like the SDKs. Every process is started here and stopped by PID; all traffic is on 127.0.0.1.
"""
import contextlib
import hashlib
import http.client
import http.server
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reliability"))
# The reliability suite's verbs: Basic auth, the admin token and the check counter.
from spillway_proc import ADMIN_TOKEN, Checks, basic  # noqa: E402,F401
LB_CONFIG = os.path.join(HERE, "..", "..", "deploy", "lb_config.py")


def sha256_hex(s):
    return hashlib.sha256(s.encode()).hexdigest()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, body=b"", headers=None, timeout=10):
    """One request on a fresh connection: (status, parsed JSON or raw bytes, headers);
    status 0 when the connection failed."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body, headers or {})
        r = c.getresponse()
        raw = r.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw
        return r.status, parsed, dict(r.getheaders())
    except (OSError, http.client.HTTPException) as e:
        return 0, str(e), {}
    finally:
        c.close()


class Accounts:
    """A declarative accounts file with `n` accounts (write key kept here, digest in the file)."""

    def __init__(self, path, n):
        self.path = path
        # Seeded, not secret: the same keys every run, so the ring mapping (and the share that
        # moves when a node is added) is reproducible.
        rng = random.Random(12)
        self.keys = {f"acct{i:03d}": "wk_%032x" % rng.getrandbits(128) for i in range(n)}
        self.extra = []  # raw entries appended later (spillway accounts new)
        self.write()

    def entries(self):
        return [{"name": name, "weight": 1, "write_key_sha256": sha256_hex(key)}
                for name, key in self.keys.items()] + self.extra

    def write(self, text=None):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text if text is not None else
                    json.dumps({"version": 1, "accounts": self.entries()}, indent=1))
        os.replace(tmp, self.path)  # config management replaces the file whole


class Receiver:
    """The downstream webhook: records every delivered event while up, answers 503 while down.
    `events`: (account, node, n, batch_id); `rows`: (delivered_s, account, seq, enqueued_s,
    node), fairsim's fields. With `capacity` (events/s) it is one serial server: batches are
    taken one at a time, each for len/capacity seconds (the outage drill's downstream)."""

    def __init__(self, capacity=None):
        self.lock = threading.Lock()
        self.serial = threading.Lock()
        self.capacity = capacity
        self.events = []
        self.rows = []
        self.down = False
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if owner.down:
                    self.answer(503)
                    return
                batch = json.loads(body)
                with owner.serial if owner.capacity else contextlib.nullcontext():
                    if owner.capacity:
                        time.sleep(len(batch["events"]) / owner.capacity)
                    owner.record(batch)
                self.answer(200)

            def answer(self, status):
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def record(self, batch):
        now = time.time()
        with self.lock:
            for e in batch["events"]:
                n = (e.get("event") or {}).get("properties", {}).get("n", -1)
                self.events.append((e["account"], e.get("node"), n, batch["batch_id"]))
                self.rows.append((now, e["account"], e["seq"], e["received_at_ms"] / 1000,
                                  e.get("node")))

    def snapshot(self):
        with self.lock:
            return list(self.events)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Node:
    """One `spillway serve` on 127.0.0.1:0 with its own data dir; restartable on the same dir.
    Node.kill_all() ends every node this process started (by PID), whatever failed."""

    started = []

    @classmethod
    def kill_all(cls):
        for node in cls.started:
            node.kill9()

    def __init__(self, root, node_id, extra_args=()):
        self.bin = os.environ["SPILLWAY_BIN"]
        self.node_id = node_id
        self.data = os.path.join(root, node_id)
        self.log_path = os.path.join(root, node_id + ".log")
        self.args = list(extra_args)
        self.proc = None
        self.port = None

    def start(self, port=0):
        env = dict(os.environ, SPILLWAY_ADMIN_TOKEN=ADMIN_TOKEN)
        args = [self.bin, "serve", "--data", self.data, "--listen", f"127.0.0.1:{port}",
                "--node-id", self.node_id, "--threads", "1", "--min-free-disk-bytes", "0",
                "--retry-max-ms", "500"] + self.args
        start_at = len(self.log())
        self.proc = subprocess.Popen(args, env=env, stderr=open(self.log_path, "a"),
                                     stdout=subprocess.DEVNULL)
        Node.started.append(self)
        deadline = time.time() + 15
        while time.time() < deadline:
            m = re.search(r"msg=ready listen=127\.0\.0\.1:(\d+)", self.log()[start_at:])
            if m:
                self.port = int(m.group(1))
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError(f"{self.node_id} did not start:\n" + self.log()[start_at:])

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def admin(self, method, path, body=None):
        h = {"Authorization": "Bearer " + ADMIN_TOKEN, "Content-Type": "application/json"}
        return request(self.port, method, path, json.dumps(body) if body is not None else b"", h)

    def hup(self):
        self.proc.send_signal(signal.SIGHUP)

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None


class Balancer:
    """HAProxy (default) or nginx in front of `ports`, config from deploy/lb_config.py."""

    def __init__(self, root, kind, ports, strict=False, name="lb", check_ms=300,
                 max_body_bytes=5 << 20):
        self.root, self.kind, self.name = root, kind, name
        self.port = free_port()
        args = ["python3", LB_CONFIG, "--balancer", kind, "--listen", f"127.0.0.1:{self.port}",
                "--nodes", ",".join(f"127.0.0.1:{p}" for p in ports),
                "--check-interval-ms", str(check_ms), "--max-body-bytes", str(max_body_bytes)]
        if strict:
            args.append("--strict-order")
        text = subprocess.run(args, check=True, capture_output=True, text=True).stdout
        self.conf = os.path.join(root, f"{name}.{kind}.conf")
        self.log_path = os.path.join(root, f"{name}.{kind}.log")
        if kind == "nginx":
            with open(os.path.join(root, f"{name}.inc"), "w") as f:
                f.write(text)
            text = (f"pid {root}/{name}.pid;\nerror_log {self.log_path};\ndaemon off;\n"
                    "events {}\nhttp {\n access_log off;\n"
                    f" client_body_temp_path {root}/{name}_body;\n"
                    f" proxy_temp_path {root}/{name}_proxy;\n"
                    f" include {root}/{name}.inc;\n}}\n")
        with open(self.conf, "w") as f:
            f.write(text)
        self.proc = None

    def start(self):
        log = open(self.log_path, "a")
        if self.kind == "haproxy":
            cmd = ["haproxy", "-db", "-f", self.conf]
        else:
            cmd = ["nginx", "-c", self.conf, "-p", self.root]
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=log)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited:\n" + open(self.log_path).read())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.kind} did not listen")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Client:
    """Sends events through the balancer, one /v1/batch request per event, retrying failed
    requests like the SDKs (bounded). Records what was acknowledged and every failure."""

    def __init__(self, port, keys):
        self.port = port
        self.keys = keys
        self.lock = threading.Lock()
        self.next_n = {name: 0 for name in keys}
        self.acked = {name: [] for name in keys}   # n values acknowledged (200)
        self.failures = []                          # (time, account, status)
        self.gave_up = 0                            # events never acknowledged

    def send_one(self, name, retry_for_s=10.0):
        with self.lock:
            n = self.next_n[name]
            self.next_n[name] += 1
        body = json.dumps({"batch": [{"type": "track", "event": "e", "userId": name,
                                      "messageId": f"{name}-{n}", "properties": {"n": n}}]})
        headers = {"Authorization": basic(self.keys[name]), "Content-Type": "application/json"}
        deadline = time.time() + retry_for_s
        while True:
            status, body_back, _ = request(self.port, "POST", "/v1/batch", body, headers, 5)
            if status == 200:
                with self.lock:
                    self.acked[name].append(n)
                return True
            with self.lock:
                self.failures.append((time.time(), name, status))
            if time.time() > deadline:
                with self.lock:
                    self.gave_up += 1
                return False
            time.sleep(0.1)

    def round(self, names, threads=4):
        """One event for each account in `names`, `threads` at a time, in account order."""
        queue = list(names)
        lock = threading.Lock()

        def worker():
            while True:
                with lock:
                    if not queue:
                        return
                    name = queue.pop(0)
                self.send_one(name)

        ts = [threading.Thread(target=worker) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()


class Load:
    """Rounds over every account in a background thread until stop()."""

    def __init__(self, client, names, pause_s=0.05):
        self.client, self.names, self.pause_s = client, names, pause_s
        self.stopping = threading.Event()
        self.rounds = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stopping.is_set():
            self.client.round(self.names)
            self.rounds += 1
            time.sleep(self.pause_s)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.thread.join()


def wait_until(predicate, timeout_s, step_s=0.1):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()


def delivered_sets(receiver):
    """account -> set of n delivered (any node)."""
    out = {}
    for account, _, n, _ in receiver.snapshot():
        out.setdefault(account, set()).add(n)
    return out


def missing(client, receiver):
    """Acknowledged events not (yet) delivered: {account: [n, ...]}."""
    got = delivered_sets(receiver)
    out = {}
    for name, ns in client.acked.items():
        lost = [n for n in ns if n not in got.get(name, set())]
        if lost:
            out[name] = lost
    return out


def order_violations(receiver):
    """Accounts whose events, per delivering node, arrive out of order (first delivery of each
    event counts; redeliveries after a retry are allowed)."""
    seen = {}
    bad = set()
    for account, node, n, _ in receiver.snapshot():
        key = (account, node)
        first = seen.setdefault(key, [])
        if n in first:
            continue
        if first and n < first[-1]:
            bad.add(account)
        first.append(n)
    return bad


def node_of(receiver, names=None, since=0):
    """account -> set of nodes that delivered its events (from index `since` of the log)."""
    out = {}
    for account, node, _, _ in receiver.snapshot()[since:]:
        if names is None or account in names:
            out.setdefault(account, set()).add(node)
    return out
