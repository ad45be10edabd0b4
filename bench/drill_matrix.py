#!/usr/bin/env python3
"""The outage drill over a capacity matrix (issue 14), with the adaptive request size (default
flags) and with the fixed size of before (--drain-target-request-ms 0, 2,000 events), judged by
fairsim.py analyze --check (G1-G6, G7 = reorders) and the loss check of outage_drill.py.

  drill_matrix.py --build build-drill --out /tmp/matrix [--capacities 1000,5000,20000]
                  [--accounts 300,1000] [--zipf 1.1,1.3] [--modes adaptive,fixed]
                  [--drain-s 30] [--workers K] [--only C/N/s]

Cells run one after the other (each is CPU-sensitive); every cell's run is in
OUT/<mode>-C<C>-N<N>-s<s>/ (see outage_drill.py). The backlog is sized so that it drains in
about --drain-s seconds at C with live traffic at 20% of C: B = 0.8 C drain_s. Prints a
markdown table, one row per cell, and writes it to OUT/matrix.md; re-running with --report-only
rebuilds the table from the runs already in OUT. Exit 1 when a cell of the first mode failed.
Standard library only.
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FAIRSIM = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "tools", "fairsim.py"))
# adaptive: the defaults. fixed: the request size before issue 14. noinbox: the defaults with
# the sequential inbox off, to see what its move delay (50 ms at most) does to live lag.
MODES = {"adaptive": [], "fixed": ["--drain-target-request-ms", "0", "--drain-batch-events",
                                   "2000"], "noinbox": ["--inbox-min-group", "0"]}


def load_fairsim():
    spec = importlib.util.spec_from_file_location("fairsim", FAIRSIM)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def cells(a):
    for c in a.capacities.split(","):
        for n in a.accounts.split(","):
            for s in a.zipf.split(","):
                if a.only and a.only != "%s/%s/%s" % (c, n, s):
                    continue
                yield float(c), int(n), float(s)


def run_dir(a, mode, c, n, s):
    return os.path.join(a.out, "%s-C%d-N%d-s%.1f" % (mode, c, n, s))


def run_cell(a, mode, c, n, s):
    events = int(0.8 * c * a.drain_s)
    cmd = [sys.executable, os.path.join(HERE, "outage_drill.py"), "--build", a.build,
           "--out", run_dir(a, mode, c, n, s), "--capacity", str(c), "--events", str(events),
           "--accounts", str(n), "--zipf-s", str(s), "--request-cost-ms",
           str(a.request_cost_ms), "--workers", str(a.workers), "--"] + MODES[mode]
    print("$ " + " ".join(cmd), flush=True)
    subprocess.run(cmd)


def metrics(fs, path):
    """The goal values fairsim --check compares, from the run's delivery log and result."""
    res = json.load(open(os.path.join(path, "result.json")))
    C = res["capacity"]
    wl, obs, ideal, info = fs.analyze_rows(fs.read_log(os.path.join(path, "deliveries.csv")),
                                           C, None, 1.0)
    r = fs.summarize("obs", wl, obs, ideal)
    p = fs.summarize("ps", wl, ideal, ideal)
    gap = max(p["share_at"][m] - r["share_at"][m] for m in (0.25, 0.5))
    return {
        "G1": info["measured_throughput"] / C,
        "G2": r["ratio_p50_of_p50"],
        "G3": (r["acct_ratio_p90"], r["acct_ratio_max"]),
        "G4": 100 * gap,
        "G5": (r["rt_p50"], p["rt_p50"]),
        "G6": (r["post_lag_p99"], p["post_lag_p99"]),
        "lost": res["loss"]["missing"], "reorders": info["reorders"],
        "failed": [f.replace("GOAL FAILED: ", "")[:2] for f in res["fairsim"]["failed"]],
    }


def mark(ok):
    return "" if ok else " ✗"


def row(mode, c, n, s, m):
    f = set(m["failed"])
    verdict = "pass" if not f and m["lost"] == 0 else "FAIL " + ",".join(sorted(f))
    return ("| %s | %d | %d | %.1f | %.3f%s | %.2f%s | %.2f / %.2f%s | %.1f%s | %.1f / %.1f%s |"
            " %.2f / %.2f%s | %d | %d | %s |" % (
                mode, c, n, s, m["G1"], mark("G1" not in f), m["G2"], mark("G2" not in f),
                m["G3"][0], m["G3"][1], mark("G3" not in f), m["G4"], mark("G4" not in f),
                m["G5"][0], m["G5"][1], mark("G5" not in f), m["G6"][0], m["G6"][1],
                mark("G6" not in f), m["lost"], m["reorders"], verdict))


def report(a):
    fs = load_fairsim()
    out = ["| mode | C (ev/s) | accounts | Zipf s | G1 thr/C | G2 p50/PS | G3 ratio p90 / max |"
           " G4 share gap (pts) | G5 rt-again p50 / PS (s) | G6 lag p99 / PS (s) | lost |"
           " reorders | fairsim --check |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    failed = False
    first = a.modes.split(",")[0]
    for mode in a.modes.split(","):
        for c, n, s in cells(a):
            path = run_dir(a, mode, c, n, s)
            try:
                m = metrics(fs, path)
            except (OSError, ValueError, KeyError) as e:
                out.append("| %s | %d | %d | %.1f | not run or incomplete (%s) |||||||||" %
                           (mode, c, n, s, type(e).__name__))
                failed |= mode == first
                continue
            out.append(row(mode, c, n, s, m))
            failed |= mode == first and (bool(m["failed"]) or m["lost"] > 0)
    text = "\n".join(out) + "\n"
    with open(os.path.join(a.out, "matrix.md"), "w") as f:
        f.write(text)
    print(text)
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--capacities", default="1000,5000,20000")
    ap.add_argument("--accounts", default="300,1000")
    ap.add_argument("--zipf", default="1.1,1.3")
    ap.add_argument("--modes", default="adaptive,fixed")
    ap.add_argument("--drain-s", type=float, default=30.0)
    ap.add_argument("--request-cost-ms", type=float, default=5.0)
    ap.add_argument("--workers", type=int, default=1,
                    help="the fake's parallel workers (outage_drill.py --workers)")
    ap.add_argument("--only", default="", help="one cell, C/N/s, e.g. 5000/300/1.1")
    ap.add_argument("--report-only", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    if not a.report_only:
        for mode in a.modes.split(","):
            for c, n, s in cells(a):
                run_cell(a, mode, c, n, s)
    return report(a)


if __name__ == "__main__":
    sys.exit(main())
