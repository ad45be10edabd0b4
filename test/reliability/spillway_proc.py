"""Starts the real `spillway serve` for the Python drivers of the reliability suite and stops it
by PID. Shared by hostile_input.py and security.py (stdlib only)."""
import base64
import http.client
import json
import os
import re
import signal
import subprocess
import tempfile
import time

ADMIN_TOKEN = "test-admin-token-0123456789"


class Server:
    def __init__(self, extra_args=(), admin_token=ADMIN_TOKEN):
        self.bin = os.environ["SPILLWAY_BIN"]
        self.tmp = tempfile.TemporaryDirectory(prefix="spillway-rel-")
        self.data = os.path.join(self.tmp.name, "data")
        self.log_path = os.path.join(self.tmp.name, "server.log")
        self.admin_token = admin_token
        env = dict(os.environ, SPILLWAY_ADMIN_TOKEN=admin_token)
        args = [self.bin, "serve", "--data", self.data, "--listen", "127.0.0.1:0",
                "--threads", "2", "--min-free-disk-bytes", "0", "--sink", "null:"]
        self.proc = subprocess.Popen(args + list(extra_args), env=env,
                                     stderr=open(self.log_path, "w"))
        self.port = None
        deadline = time.time() + 10
        while time.time() < deadline:
            m = re.search(r"msg=ready listen=127\.0\.0\.1:(\d+)", self.log())
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError("server did not start:\n" + self.log())

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def threads(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/task"))

    def fds(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def request(self, method, path, body=b"", headers=None, timeout=10):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body, headers or {})
            r = c.getresponse()
            return r.status, r.read(), dict(r.getheaders())
        finally:
            c.close()

    def admin(self, method, path, body=None, token=None):
        h = {"Authorization": "Bearer " + (token or self.admin_token),
             "Content-Type": "application/json"}
        return self.request(method, path, json.dumps(body) if body is not None else b"", h)

    def create_account(self, name, write_key):
        s, b, _ = self.admin("POST", "/v1/admin/accounts", {"name": name, "write_key": write_key})
        assert s == 201, (s, b)
        return json.loads(b)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def basic(user, password=""):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Checks:
    """Counts named checks and prints `N passed, N failed` at the end."""

    def __init__(self):
        self.passed = 0
        self.failed = []

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed.append(name)
        print(f"{'ok  ' if ok else 'FAIL'} {name}" + (f" ({detail})" if detail else ""), flush=True)
        return ok

    def summary(self):
        print(f"{self.passed} passed, {len(self.failed)} failed")
        for f in self.failed:
            print("  failed:", f)
        return 0 if not self.failed else 1
