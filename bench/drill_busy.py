#!/usr/bin/env python3
"""Where the receiver's time went during an outage drill's drain, from its delivery log.

  drill_busy.py RUN_DIR [RUN_DIR ...] [--request-cost-ms 5]

The fake downstream of the drill (capacity_mode delay, one worker) spends request_cost_ms plus
n / C on each request of n events, one request after another. Over the busy period (first
delivery to fairsim's busy_period_end), with R requests and E events in S seconds:
fixed = R x cost / S, per-event = E / (C x S) (= throughput / C), idle = 1 - fixed - per-event.
A request is one distinct delivery timestamp in deliveries.csv (the fake stamps a request's
events together). "small" counts requests of fewer than 200 events. Needs each run's
fairsim.txt (outage_drill.py writes it). Standard library only.
"""

import argparse
import collections
import csv
import json
import os


def busy(run, cost_ms):
    info = None
    with open(os.path.join(run, "fairsim.txt")) as f:
        for line in f:
            if line.startswith("log: "):
                info = json.loads(line[5:])
    if info is None:
        raise SystemExit("%s: no 'log:' line in fairsim.txt" % run)
    requests = collections.Counter()
    with open(os.path.join(run, "deliveries.csv")) as f:
        for row in csv.DictReader(f):
            requests[row["timestamp"]] += 1
    stamps = sorted(requests, key=float)
    t0 = float(stamps[0])
    end = t0 + info["busy_period_end"]
    inside = [requests[t] for t in stamps if float(t) <= end]
    span = end - t0
    c = info["capacity_for_ideal"]
    fixed = len(inside) * cost_ms / 1000.0 / span
    per_event = sum(inside) / c / span
    small = sum(1 for n in inside if n < 200)
    return {"run": os.path.basename(os.path.normpath(run)), "span_s": round(span, 1),
            "requests": len(inside), "small": small, "events": sum(inside),
            "fixed": round(fixed, 3), "per_event": round(per_event, 3),
            "idle": round(1 - fixed - per_event, 3)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--request-cost-ms", type=float, default=5.0)
    a = ap.parse_args()
    print("| run | span (s) | requests | small | events | fixed | per-event (thr/C) | idle |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for run in a.runs:
        b = busy(run, a.request_cost_ms)
        print("| %(run)s | %(span_s)s | %(requests)d | %(small)d | %(events)d | %(fixed).3f | "
              "%(per_event).3f | %(idle).3f |" % b)


if __name__ == "__main__":
    main()
