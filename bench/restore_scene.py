"""The outage drill's "restore from an older backup" scene (issue 13), used by outage_drill.py
--restore-scene-s N. Standard library only.

After the drain, with spillway retaining delivered events (--retain-delivered-s) and live
traffic still flowing:
  1. the downstream "is restored from a backup" taken N s ago: it loses every event it accepted
     between the backup instant T and the restore instant F (just before the scene). The drill
     computes that set from the fake's delivery log (messageIds accepted in (T, F]); the fake
     itself forgets nothing, which changes nothing for the check. T and F are put in the
     largest gap between two of the fake's accepts near their targets, so what the datastore
     held at T is unambiguous (a batch is either before or after it); whether spillway's
     delivery times fall on the same side is what check (a) finds out, not an assumption;
  2. `POST /v1/replays?dry_run=1` then `POST /v1/replays {"from": T, "to": F}` through the real
     HTTP API, and GET /v1/replays until the job is done and all it enqueued is delivered;
  3. checks, from the delivery log after the run:
     (a) the deliveries marked with the job's replay_id are exactly the lost messageIds: none
         missing, none extra, each once, each with original_seq = the seq it first had, in the
         original per-account order;
     (b) live lag during the replay: fairsim.py's analysis of the window [job start, last
         replayed delivery], with the replayed events as the backlog at the job's start and
         the live events as arrivals; G6: lag-after-catch-up p99 <= ratio x PS + theta
         (fairsim's defaults 1.5 and 1 s);
     (c) replay throughput (replayed events / (last replayed delivery - job start)) vs C, and
         spillway's RSS before vs during the replay (reported, not judged).
"""

import csv
import json
import math
import time
import urllib.request
from datetime import datetime, timezone

from outage_report import load_fairsim


def rfc3339(ms):
    t = datetime.fromtimestamp(ms // 1000, tz=timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)


def read_rows(path):
    """Delivery log rows as dicts with numeric fields (replay_id 0 when not replayed)."""
    out = []
    with open(path) as f:
        for r in csv.DictReader(f):
            out.append({"ts": float(r["timestamp"]), "account": r["account"],
                        "seq": int(r["seq"]), "enq": float(r["enqueue_time"]),
                        "mid": r.get("message_id", ""),
                        "replay_id": int(r.get("replay_id") or 0),
                        "original_seq": int(r.get("original_seq") or 0)})
    return out


def pick_cut_ms(accept_times, target, reach=1.0):
    """A backup instant (ms) in the largest gap between two consecutive accepts within `reach`
    s of `target`: 1 ms before the later accept's ms, so that batch is after the cut and every
    earlier one is before it (when spillway settled it within the gap). Also returns the gap."""
    best = None
    for a, b in zip(accept_times, accept_times[1:]):
        if b - a > 0.003 and abs(0.5 * (a + b) - target) <= reach:
            if best is None or b - a > best[1] - best[0]:
                best = (a, b)
    if best is None:
        raise SystemExit("restore scene: no gap between accepts near %.3f" % target)
    return int(math.floor(best[1] * 1000.0)) - 1, best[1] - best[0]


def http(method, url, token, body=None, timeout=30):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"null")


class RestoreScene:
    """Runs steps 1-2 against a running drill (spillway, the fake and live traffic up)."""

    def __init__(self, api, token, log_path, seconds, capacity, tag):
        self.api, self.token, self.log_path = api, token, log_path
        self.N, self.C, self.tag = float(seconds), float(capacity), tag

    def run(self):
        time.sleep(1.0)  # the restore instant F lies in the past, in the log
        now = time.time()
        accepts = sorted({r["ts"] for r in read_rows(self.log_path) if not r["replay_id"]})
        to_ms, to_gap = pick_cut_ms(accepts, now - 0.5, 0.4)
        from_ms, from_gap = pick_cut_ms(accepts, to_ms / 1000.0 - self.N)
        body = {"from": rfc3339(from_ms), "to": rfc3339(to_ms)}
        out = {"seconds": self.N, "from_ms": from_ms, "to_ms": to_ms, "from": body["from"],
               "to": body["to"], "from_gap_ms": 1000 * from_gap, "to_gap_ms": 1000 * to_gap}
        out["dry_run"] = http("POST", self.api + "/v1/replays?dry_run=1", self.token, body)
        out["started"] = time.time()
        job = http("POST", self.api + "/v1/replays", self.token, body)
        out["job_id"] = job["id"]
        print("[%s] restore scene: replay %d of %s .. %s (%d events by dry run)"
              % (self.tag, job["id"], body["from"], body["to"], out["dry_run"]["matched"]),
              flush=True)
        out["progress"] = self.wait_done(job["id"], out["started"], out["dry_run"]["matched"])
        out["job"] = out["progress"][-1][1]
        out["done_polled"] = out["progress"][-1][0]
        return out

    def wait_done(self, job_id, started, matched):
        limit = started + max(120.0, 20.0 * matched / self.C)
        progress = []
        while time.time() < limit:
            jobs = http("GET", self.api + "/v1/replays", self.token)["replays"]
            j = next(x for x in jobs if x["id"] == job_id)
            progress.append((time.time(), j))
            if j["state"] != "running" and j["delivered"] >= j["enqueued"]:
                return progress
            time.sleep(0.25)
        raise SystemExit("restore scene: replay %d not done in time: %s" % (job_id, progress[-1]))


def check_exact(rows, scene):
    """(a): the replayed deliveries against the lost set, by messageId."""
    lo, hi, jid = scene["from_ms"], scene["to_ms"], scene["job_id"]
    lost = {}
    for r in rows:
        if not r["replay_id"] and lo < math.floor(r["ts"] * 1000.0) <= hi:
            lost.setdefault(r["mid"], r)
    seen, dups, seq_mismatch, reorders = set(), 0, 0, 0
    last = {}
    replayed = [r for r in rows if r["replay_id"] == jid]
    for r in replayed:
        if r["mid"] in seen:
            dups += 1
            continue
        seen.add(r["mid"])
        orig = lost.get(r["mid"])
        if orig is not None and (orig["seq"] != r["original_seq"] or
                                 orig["account"] != r["account"]):
            seq_mismatch += 1
        if r["account"] in last and r["original_seq"] < last[r["account"]]:
            reorders += 1
        last[r["account"]] = r["original_seq"]
    out = {"lost": len(lost), "replayed_rows": len(replayed), "replayed_unique": len(seen),
           "missing": len(set(lost) - seen), "extra": len(seen - set(lost)),
           "duplicates": dups, "original_seq_mismatch": seq_mismatch, "reorders": reorders,
           "accounts": len({r["account"] for r in lost.values()}),
           "other_replay_rows": sum(1 for r in rows if r["replay_id"] and r["replay_id"] != jid)}
    out["ok"] = (out["missing"] == 0 and out["extra"] == 0 and dups == 0 and
                 seq_mismatch == 0 and reorders == 0 and len(lost) > 0)
    return out, replayed


def live_lag(fs, rows, replayed, scene, C, ratio, theta):
    """(b): fairsim's analysis of the replay window, replayed events as the backlog at t0."""
    t0 = scene["started"]
    t_end = max(r["ts"] for r in replayed)
    log = [(r["ts"], r["account"], r["seq"], t0 - 1e-3) for r in replayed]
    log += [(r["ts"], r["account"], r["seq"], r["enq"]) for r in rows
            if not r["replay_id"] and r["ts"] >= t0 and r["enq"] < t_end]
    wl, obs, ideal, info = fs.analyze_rows(log, C, t0, theta, window=t_end - t0)
    o = fs.summarize("observed", wl, obs, ideal)
    p = fs.summarize("PS", wl, ideal, ideal)
    replaying = {r["account"] for r in replayed}
    small = sorted(r["ts"] - r["enq"] for r in rows
                   if not r["replay_id"] and t0 <= r["enq"] < t_end and
                   r["account"] not in replaying)
    out = {"window_s": t_end - t0, "live_events": o["live_events"],
           "lag_p50": o["lag_p50"], "lag_p99": o["lag_p99"], "lag_max": o["lag_max"],
           "post_lag_p50": o["post_lag_p50"], "post_lag_p99": o["post_lag_p99"],
           "post_lag_max": o["post_lag_max"],
           "ideal_lag_p50": p["lag_p50"], "ideal_lag_p99": p["lag_p99"],
           "ideal_post_lag_p50": p["post_lag_p50"], "ideal_post_lag_p99": p["post_lag_p99"],
           "not_replaying_accounts": {"events": len(small), "lag_p50": fs.pct(small, 50),
                                      "lag_p99": fs.pct(small, 99),
                                      "lag_max": small[-1] if small else None},
           "reorders": info["reorders"], "duplicates": info["duplicates"],
           "throughput_all": info["measured_throughput"], "goal_ratio": ratio, "theta": theta}
    out["bound"] = ratio * p["post_lag_p99"] + theta
    out["ok"] = o["post_lag_p99"] <= out["bound"]
    return out


def rss_change(samples, t0, t_end, drain_started):
    """(c): spillway's RSS (kB) during the backlog drain, in the 10 s before the replay, and
    during the replay. RssAnon is the process's own memory; RssFile is mapped LMDB pages, which
    grow with the retained payloads."""
    def span(a, b):
        s = [x for x in samples if a <= x[0] <= b]
        if not s:
            return None
        return {"rss_max": max(x[1] for x in s), "anon_max": max(x[2] for x in s),
                "file_max": max(x[3] for x in s)}
    return {"drain": span(drain_started, t0 - 10.0), "before": span(t0 - 10.0, t0),
            "during": span(t0, t_end)}


def analyse(log_path, scene, C, samples, drain_started, ratio=1.5, theta=1.0):
    """All three checks; scene is RestoreScene.run()'s dict. Returns the result section."""
    fs = load_fairsim()
    rows = read_rows(log_path)
    exact, replayed = check_exact(rows, scene)
    out = dict(scene, exact=exact)
    out.pop("progress", None)
    if not replayed:
        out["ok"] = False
        return out
    t_end = max(r["ts"] for r in replayed)
    out["lag"] = live_lag(fs, rows, replayed, scene, C, ratio, theta)
    dur = t_end - scene["started"]
    out["throughput"] = {"replayed_per_s": len(replayed) / dur, "fraction_of_C":
                         len(replayed) / dur / C, "duration_s": dur,
                         "all_per_s": out["lag"]["throughput_all"]}
    out["rss_kb"] = rss_change(samples, scene["started"], t_end, drain_started)
    out["ok"] = exact["ok"] and out["lag"]["ok"]
    return out


def summary_lines(tag, r):
    e = r["exact"]
    lines = ["[%s] restore: replay %s .. %s: lost %d, replayed %d (missing %d, extra %d, "
             "duplicates %d, original_seq mismatches %d, reorders %d) -> %s"
             % (tag, r["from"], r["to"], e["lost"], e["replayed_rows"], e["missing"], e["extra"],
                e["duplicates"], e["original_seq_mismatch"], e["reorders"],
                "exact" if e["ok"] else "FAILED")]
    if "lag" in r:
        g, t = r["lag"], r["throughput"]
        n = g["not_replaying_accounts"]
        lines.append("[%s] restore: replay %.0f ev/s = %.2f C over %.1f s (all deliveries %.0f "
                     "ev/s); live lag p50/p99 %.2f/%.2f s (PS %.2f/%.2f), after catch-up "
                     "p99 %.2f s (PS %.2f, bound %.2f) -> %s" % (
                         tag, t["replayed_per_s"], t["fraction_of_C"], t["duration_s"],
                         t["all_per_s"], g["lag_p50"], g["lag_p99"], g["ideal_lag_p50"],
                         g["ideal_lag_p99"], g["post_lag_p99"], g["ideal_post_lag_p99"],
                         g["bound"], "met" if g["ok"] else "FAILED"))
        if n["events"]:
            lines.append("[%s] restore: live lag of the %d events of accounts with nothing to "
                         "replay p50/p99 %.2f/%.2f s" % (tag, n["events"], n["lag_p50"],
                                                         n["lag_p99"]))
        lines.append("[%s] restore: RSS kB (max) during the drain %s, before the replay %s, "
                     "during it %s" % (tag, r["rss_kb"]["drain"], r["rss_kb"]["before"],
                                       r["rss_kb"]["during"]))
    return lines
