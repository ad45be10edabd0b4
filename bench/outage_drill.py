#!/usr/bin/env python3
"""The outage drill for one drain policy (issue 4): a reproducible run of the incident.

  1. spillway-fake-downstream starts DOWN, logging every accepted event to a CSV
     (timestamp,account,seq,enqueue_time,message_id);
  2. `spillway serve --sink http://...fake... --drain-policy POLICY` starts;
  3. outage_loader creates the accounts and ingests the backlog over /v1/batch: per-account
     sizes Zipf(s), seeded, one unique messageId per event; each acknowledged id goes to a ledger;
  4. live traffic starts at LIVE_FRAC x C events/s (split in proportion to backlog size);
  5. the fake comes UP with capacity C events/s (capacity_mode delay: a serial server that
     takes REQUEST_COST_MS + n/C s per batch of n; --speed-change scales C during the drain)
     and spillway drains; the drill waits until the oldest queued
     event is younger than the backlog, keeps live traffic going for --tail-s more seconds, then
     stops it and waits for the queue to empty;
  6. zero loss: every acknowledged messageId appears in the delivery log; fairsim.py analyze
     --capacity C --check judges the log with the policy's goals (GOALS below). spillway's RSS
     is sampled from /proc every 0.5 s.

With --restore-scene-s N (issue 13), spillway runs with --retain-delivered-s and, after the tail
and while live traffic goes on, the downstream "is restored from a backup" N s old and a replay
job re-delivers what it lost (bench/restore_scene.py: the scene and its checks). fairsim then
judges the drain on the events received before the scene, without the replayed ones.

Writes OUT/result.json (and the logs) and prints a summary. Exit 1 when events were lost, the
policy's goals were missed, or the restore scene's replay was not exact or starved live traffic.
Standard library only.
"""

import argparse
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request

from restore_scene import RestoreScene, analyse as analyse_restore, summary_lines

HERE = os.path.dirname(os.path.abspath(__file__))
FAIRSIM = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "tools", "fairsim.py"))
TOKEN = "drill-admin-token-0123456789"
TLS_DIR = os.path.join(HERE, "..", "test", "support", "tls")


def http(method, url, body=None, token=None, timeout=10):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"null")


class Drill:
    def __init__(self, a):
        self.a = a
        self.out = os.path.abspath(a.out)
        self.procs = []
        # (t, rss_kb, anon_kb, file_kb, queued_events, drain_per_s, request_events,
        #  cost_fixed_ms, cost_per_event_us, concurrency_limit, mean_latency_ms)
        self.samples = []
        self.latency_sums = None
        self.sampling = True
        self.C = float(a.capacity)

    # -- processes ---------------------------------------------------------------------------

    def start_fake(self):
        exe = os.path.join(self.a.build, "test", "support", "spillway-fake-downstream")
        cmd = [exe, "--log", os.path.join(self.out, "deliveries.csv"), "--log-message-ids",
               "--log-replay", "--script", json.dumps({"mode": "down"})]
        if self.a.tls:
            cmd += ["--tls-cert", os.path.join(TLS_DIR, "server.pem"),
                    "--tls-key", os.path.join(TLS_DIR, "server.key")]
        self.fake = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        self.procs.append(self.fake)
        m = re.match(r"listening port=(\d+) control_port=(\d+)", self.fake.stdout.readline())
        if not m:
            raise SystemExit("fake downstream did not start")
        self.fake_port, self.control = int(m.group(1)), "http://127.0.0.1:%s" % m.group(2)

    def start_spillway(self):
        exe = os.path.join(self.a.build, "app", "spillway")
        cmd = [exe, "serve", "--data", os.path.join(self.out, "data"),
               "--listen", "127.0.0.1:0",
               "--sink", "%s://127.0.0.1:%d/events" % ("https" if self.a.tls else "http",
                                                       self.fake_port),
               "--drain-policy", self.a.policy, "--retry-max-ms", "1000",
               "--threads", "2"] + self.a.spillway_args
        if self.a.restore_scene_s and not any(x.startswith("--retain-delivered-s")
                                              for x in self.a.spillway_args):
            cmd += ["--retain-delivered-s", "3600"]
        if self.a.tls:
            cmd += ["--sink-ca-file", os.path.join(TLS_DIR, "ca.pem")]
        env = dict(os.environ, SPILLWAY_ADMIN_TOKEN=TOKEN)
        self.log_path = os.path.join(self.out, "spillway.log")
        self.spillway = subprocess.Popen(cmd, env=env, stderr=open(self.log_path, "w"))
        self.procs.append(self.spillway)
        for _ in range(1000):
            m = re.search(r"msg=ready listen=127\.0\.0\.1:(\d+)", open(self.log_path).read())
            if m:
                self.port = int(m.group(1))
                self.api = "http://127.0.0.1:%d" % self.port
                return
            if self.spillway.poll() is not None:
                break
            time.sleep(0.01)
        raise SystemExit("spillway did not start; see " + self.log_path)

    def loader(self, mode, *extra, background=False):
        exe = os.path.join(self.a.build, "bench", "outage_loader")
        cmd = [exe, mode, "--port", str(self.port), "--accounts", str(self.a.accounts),
               "--events", str(self.a.events), "--zipf-s", str(self.a.zipf_s),
               "--seed", str(self.a.seed)] + list(extra)
        env = dict(os.environ, SPILLWAY_ADMIN_TOKEN=TOKEN)
        if background:
            p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
            self.procs.append(p)
            return p
        r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True)
        if r.returncode != 0:
            raise SystemExit("outage_loader %s failed: %s" % (mode, r.stdout))
        return json.loads(r.stdout.strip().splitlines()[-1])

    def backlog(self):
        return http("GET", self.api + "/v1/backlog?top=1", token=TOKEN)

    def sample(self):
        """RSS split as the kernel reports it: RssAnon is the process's own memory (heap,
        stacks); RssFile is mapped file pages, i.e. the LMDB map's pages in the page cache."""
        status = "/proc/%d/status" % self.spillway.pid
        while self.sampling:
            t = time.time()
            try:
                text = open(status).read()
                kb = {k: int(re.search(k + r":\s+(\d+)", text).group(1))
                      for k in ("VmRSS", "RssAnon", "RssFile")}
                b = self.backlog()
                rs = b["drain"]["request_size"]
                self.samples.append((t, kb["VmRSS"], kb["RssAnon"], kb["RssFile"],
                                     b["totals"]["events"], b["rates"]["drain_per_s"],
                                     rs["events"], rs["cost_fixed_ms"], rs["cost_per_event_us"],
                                     b["drain"]["concurrency_limit"], self.mean_latency_ms()))
            except Exception:  # the server is stopping
                pass
            time.sleep(0.5)

    def mean_latency_ms(self):
        """Mean downstream request latency since the previous sample, from /metrics."""
        req = urllib.request.Request(self.api + "/metrics")
        req.add_header("Authorization", "Bearer " + TOKEN)
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read().decode()
        get = lambda k: float(re.search(  # noqa: E731
            r"^spillway_replay_delivery_latency_seconds_%s(?:\{[^}]*\})? (\S+)" % k, text,
            re.M).group(1))
        now = (get("sum"), get("count"))
        prev, self.latency_sums = self.latency_sums, now
        if prev is None or now[1] <= prev[1]:
            return 0.0
        return 1000.0 * (now[0] - prev[0]) / (now[1] - prev[1])

    def speed_changes(self, t_up):
        """--speed-change T:F,...: at T s after the downstream came up, capacity = F x C."""
        for step in filter(None, self.a.speed_change.split(",")):
            at, factor = (float(x) for x in step.split(":"))
            time.sleep(max(0.0, t_up + at - time.time()))
            http("POST", self.control + "/control", {"capacity": factor * self.C})
            self.speed_log.append((time.time(), factor * self.C))
            print("[%s] capacity now %.0f ev/s" % (self.a.policy, factor * self.C), flush=True)

    def stop(self, p, timeout=60):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    # -- phases ------------------------------------------------------------------------------

    def run(self):
        a = self.a
        shutil.rmtree(self.out, ignore_errors=True)
        os.makedirs(self.out)
        res = {"policy": a.policy, "capacity": self.C, "accounts": a.accounts,
               "events": a.events, "zipf_s": a.zipf_s, "seed": a.seed,
               "live_rate": a.live_frac * self.C, "live_tick_ms": a.live_tick_ms,
               "request_cost_ms": a.request_cost_ms, "speed_change": a.speed_change,
               "spillway_args": a.spillway_args}
        self.start_fake()
        self.start_spillway()
        sampler = threading.Thread(target=self.sample, daemon=True)
        sampler.start()
        res["create"] = self.loader("accounts")
        res["ingest"] = self.loader("backlog", "--ledger", os.path.join(self.out, "ledger.txt"),
                                    "--connections", str(a.connections))
        print("[%s] backlog stored: %s" % (a.policy, res["ingest"]), flush=True)
        live = self.loader("live", "--ledger", os.path.join(self.out, "ledger.txt"),
                           "--rate", str(a.live_frac * self.C),
                           "--tick-ms", str(a.live_tick_ms), background=True)
        time.sleep(a.live_lead_s)  # live traffic is already flowing when the downstream returns
        t_up = time.time()
        http("POST", self.control + "/control",
             {"mode": "up", "capacity": self.C, "capacity_mode": "delay",
              "request_cost_ms": a.request_cost_ms, "workers": a.workers})
        res["drain_started"] = t_up
        self.speed_log = [(t_up, self.C)]
        res["speed_log"] = self.speed_log
        threading.Thread(target=self.speed_changes, args=(t_up,), daemon=True).start()
        res["drain_wall_s"] = self.wait_backlog_gone(t_up)
        print("[%s] backlog drained after %.1f s" % (a.policy, res["drain_wall_s"]), flush=True)
        time.sleep(a.tail_s)
        if a.restore_scene_s:
            res["restore_scene"] = RestoreScene(
                self.api, TOKEN, os.path.join(self.out, "deliveries.csv"), a.restore_scene_s,
                self.C, a.policy).run()
            time.sleep(a.restore_tail_s)  # live events sent near the end get delivered
        self.stop(live)
        res["live"] = json.loads(live.stdout.read().strip().splitlines()[-1])
        self.wait_empty()
        self.sampling = False
        sampler.join()
        self.stop(self.spillway)
        res["spillway_exit"] = self.spillway.returncode
        self.stop(self.fake)
        res["fake_stats"] = json.loads(self.fake.stdout.read().strip().splitlines()[-1])
        res["rss_kb"] = self.rss_summary(t_up)
        return res

    def wait_backlog_gone(self, t_up):
        """Until the oldest queued event is younger than the live lead: the backlog is gone."""
        limit = t_up + max(600.0, 6 * self.a.events / self.C)
        while time.time() < limit:
            b = self.backlog()["totals"]
            if time.time() > t_up + 2 and b["oldest_age_s"] < 0.5 * self.a.live_lead_s:
                return time.time() - t_up
            time.sleep(0.5)
        raise SystemExit("backlog not drained in time")

    def wait_empty(self):
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.backlog()["totals"]["events"] == 0:
                return
            time.sleep(0.2)
        raise SystemExit("queue did not empty")

    def rss_summary(self, t_up):
        out = {"samples": len(self.samples)}
        for i, name in ((1, "rss"), (2, "anon"), (3, "file")):
            all_ = [s[i] for s in self.samples]
            drain = [s[i] for s in self.samples if s[0] >= t_up]
            out[name] = {"min": min(all_), "max": max(all_),
                         "drain_min": min(drain), "drain_max": max(drain)}
        with open(os.path.join(self.out, "samples.csv"), "w") as f:
            f.write("time,rss_kb,rss_anon_kb,rss_file_kb,queued_events,drain_per_s,"
                    "request_events,cost_fixed_ms,cost_per_event_us,concurrency_limit,"
                    "mean_latency_ms\n")
            for s in self.samples:
                f.write("%.3f,%d,%d,%d,%d,%.1f,%d,%.3f,%.3f,%d,%.2f\n" % s)
        return out

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def check_loss(out):
    """Every acknowledged messageId delivered at least once; counts duplicates. Deliveries a
    replay job made on purpose (replay_id set) are counted apart, not as duplicates."""
    acked = set()
    with open(os.path.join(out, "ledger.txt")) as f:
        for line in f:
            acked.add(line.rstrip("\n"))
    seen = set()
    rows = dups = replayed = 0
    with open(os.path.join(out, "deliveries.csv")) as f:
        for r in csv.DictReader(f):
            if r.get("replay_id"):
                replayed += 1
                continue
            mid = r["message_id"]
            rows += 1
            if mid in seen:
                dups += 1
            seen.add(mid)
    missing = len(acked - seen)
    return {"acked": len(acked), "delivered_unique": len(seen), "delivered_rows": rows,
            "duplicates": dups, "missing": missing, "unexpected": len(seen - acked),
            "replayed_rows": replayed}


def drain_log(out, scene):
    """The delivery log fairsim judges: without the restore scene, all of it; with it, the
    events received before the scene started, never a replayed delivery (a replayed event
    keeps its old receive time and would read as backlog delivered very late)."""
    path = os.path.join(out, "deliveries.csv")
    if scene is None:
        return path
    cut = scene["started"]
    dst = os.path.join(out, "deliveries_drain.csv")
    with open(path) as f, open(dst, "w", newline="") as g:
        rd = csv.DictReader(f)
        w = csv.DictWriter(g, fieldnames=rd.fieldnames, lineterminator="\n")
        w.writeheader()
        for r in rd:
            if not r.get("replay_id") and float(r["enqueue_time"]) < cut:
                w.writerow(r)
    return dst


# fairsim's goals per policy. fair: its defaults (the targets). catchup: p50 catch-up at
# most half the ideal fair p50 with throughput >= 90% of C; isolation is what it trades away,
# so the per-account, share and live-lag goals are off. fifo is the baseline: only throughput
# and order are judged.
OFF = ["--goal-p90-ratio", "1e9", "--goal-max-ratio", "1e9", "--goal-share-gap", "1",
       "--goal-rt-ratio", "1e9", "--goal-post-lag-ratio", "1e9"]
GOALS = {"fair": [], "catchup": ["--goal-p50-ratio", "0.5"] + OFF,
         "fifo": ["--goal-p50-ratio", "1e9"] + OFF}


def run_fairsim(out, capacity, policy, log):
    r = subprocess.run([sys.executable, FAIRSIM, "analyze", log,
                        "--capacity", str(capacity), "--check"] + GOALS[policy],
                       stdout=subprocess.PIPE, text=True)
    with open(os.path.join(out, "fairsim.txt"), "w") as f:
        f.write(r.stdout)
    failed = [l for l in r.stdout.splitlines() if l.startswith("GOAL FAILED")]
    return {"exit": r.returncode, "failed": failed}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True, help="meson build dir (-Dtests=true -Dbench=true)")
    ap.add_argument("--out", required=True, help="output directory (wiped)")
    ap.add_argument("--policy", default="fair", choices=("fair", "catchup", "fifo"))
    ap.add_argument("--capacity", type=float, default=10000.0, help="C, events/s")
    ap.add_argument("--events", type=int, default=1000000, help="backlog events")
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--zipf-s", type=float, default=1.1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--live-frac", type=float, default=0.2, help="live rate as a fraction of C")
    ap.add_argument("--live-lead-s", type=float, default=4.0,
                    help="live traffic starts this long before the downstream comes up")
    ap.add_argument("--live-tick-ms", type=int, default=250,
                    help="live events are sent per account once per tick")
    ap.add_argument("--tail-s", type=float, default=10.0,
                    help="live traffic continues this long after the backlog is gone")
    ap.add_argument("--connections", type=int, default=4, help="loader connections (backlog)")
    ap.add_argument("--request-cost-ms", type=float, default=5.0,
                    help="the fake's fixed cost per request (on top of n/C), ms")
    ap.add_argument("--workers", type=int, default=1,
                    help="the fake serves with this many workers side by side, each at C / "
                         "workers events/s with its own fixed cost (a datastore of several "
                         "nodes); 1 = one server, requests one after another")
    ap.add_argument("--speed-change", default="",
                    help="T:F,... capacity becomes F x C at T s after the downstream comes up")
    ap.add_argument("--tls", action="store_true",
                    help="https:// sink: the fake serves test/support/tls/server.pem")
    ap.add_argument("--restore-scene-s", type=float, default=0.0,
                    help="after the tail: the downstream loses its last N s and a replay job "
                         "restores them while live traffic goes on (bench/restore_scene.py); "
                         "spillway then runs with --retain-delivered-s 3600 unless given")
    ap.add_argument("--restore-tail-s", type=float, default=3.0,
                    help="live traffic continues this long after the replay job is done")
    ap.add_argument("--restore-lag-ratio", type=float, default=1.5,
                    help="restore scene's G6: live lag after catch-up p99 <= ratio x PS + 1 s "
                         "(fairsim's --goal-post-lag-ratio)")
    ap.add_argument("spillway_args", nargs="*", help="extra `spillway serve` flags (after --)")
    a = ap.parse_args()
    d = Drill(a)
    try:
        res = d.run()
    finally:
        d.cleanup()
    res["loss"] = check_loss(d.out)
    scene = res.get("restore_scene")
    res["fairsim"] = run_fairsim(d.out, a.capacity, a.policy, drain_log(d.out, scene))
    if scene is not None:
        res["restore"] = analyse_restore(os.path.join(d.out, "deliveries.csv"), scene, d.C,
                                         d.samples, res["drain_started"], a.restore_lag_ratio)
        res["restore_scene"] = {"progress": scene["progress"]}
    with open(os.path.join(d.out, "result.json"), "w") as f:
        json.dump(res, f, indent=1)
    print("[%s] loss: %s" % (a.policy, res["loss"]))
    print("[%s] RSS kB: %s" % (a.policy, res["rss_kb"]))
    print("[%s] fairsim: %s" % (a.policy, "all goals met" if res["fairsim"]["exit"] == 0
                                else "; ".join(res["fairsim"]["failed"])))
    if scene is not None:
        for line in summary_lines(a.policy, res["restore"]):
            print(line)
    lost = res["loss"]["missing"] > 0 or res["spillway_exit"] != 0
    restore_failed = scene is not None and not res["restore"]["ok"]
    return 1 if lost or restore_failed or res["fairsim"]["exit"] != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
