#!/usr/bin/env python3
"""Side-by-side report of outage drill runs (bench/outage_drill.py) and the plot of accounts
caught up over time for each policy and the ideal (max-min fair processor sharing, computed by
fairsim.py for the same input). Standard library only: the SVG is written by hand.

  outage_report.py RUN_DIR... [--svg docs/outage_drill.svg] [--markdown report.md]

Time scale: a drill compresses the incident, so "10 minutes-equivalent" is defined as 1/6 of
B/C (the backlog's drain time at full capacity stands for one hour of draining). "Real-time"
uses fairsim's real-time-again R_i(theta=1 s): the last delivery of the account whose lag
exceeded theta.
"""

import argparse
import importlib.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FAIRSIM = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "tools", "fairsim.py"))
COLORS = {"fair": "#1f77b4", "catchup": "#2ca02c", "fifo": "#d62728", "ideal": "#444444"}


def load_fairsim():
    spec = importlib.util.spec_from_file_location("fairsim", FAIRSIM)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def analyse(fs, run_dir):
    res = json.load(open(os.path.join(run_dir, "result.json")))
    C = res["capacity"]
    # With the restore scene, the drain is judged without it (outage_drill.py drain_log).
    log = os.path.join(run_dir, "deliveries_drain.csv")
    if not os.path.exists(log):
        log = os.path.join(run_dir, "deliveries.csv")
    rows = fs.read_log(log)
    wl, obs, ideal, info = fs.analyze_rows(rows, C, None, 1.0)
    r = fs.summarize(res["policy"], wl, obs, ideal)
    p = fs.summarize("ideal", wl, ideal, ideal)
    t10 = wl.B / C / 6.0
    n = wl.N
    catch = sorted(c for c in obs.catch if c is not None)
    return {
        "policy": res["policy"], "C": C, "B": wl.B, "N": n, "t10": t10, "info": info,
        "res": res, "row": r, "ps": p,
        "caught_t10": sum(1 for c in catch if c <= t10) / n,
        "realtime_t10": sum(1 for x in obs.R if x <= t10) / n,
        "ps_caught_t10": sum(1 for c in ideal.catch if c is not None and c <= t10) / n,
        "ps_realtime_t10": sum(1 for x in ideal.R if x <= t10) / n,
        "curve": catch,
        "ideal_curve": sorted(c for c in ideal.catch if c is not None),
        "throughput": info["measured_throughput"] / C,
    }


def fmt(x, d=1):
    return "-" if x is None else "%.*f" % (d, x)


def markdown(runs):
    a0 = runs[0]
    out = ["Workload: %d accounts, backlog B = %d events (Zipf s=%.2f, seed %d) plus live "
           "traffic at %.0f ev/s; C = %.0f ev/s; B/C = %.1f s; 10 min-equivalent = B/(6C) = "
           "%.1f s." % (a0["N"], a0["B"], a0["res"]["zipf_s"], a0["res"]["seed"],
                        a0["res"]["live_rate"], a0["C"], a0["B"] / a0["C"], a0["t10"]), "",
           "| policy | catch-up p50 (s) | p90 | max | p50 / ideal p50 | per-acct ratio p90 | "
           "max | caught up at 25% / 50% of B | throughput / C | caught up at 10 min-eq | "
           "real-time at 10 min-eq | lag after catch-up p99 (s) | fairsim --check |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for a in runs:
        r = a["row"]
        fails = a["res"]["fairsim"]["failed"]
        verdict = "pass" if a["res"]["fairsim"]["exit"] == 0 else \
            "; ".join(f.replace("GOAL FAILED: ", "") for f in fails)
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s%% / %s%% | %s%% | %s%% | %s%% | %s | %s |" % (
            a["policy"], fmt(r["catch_p50"]), fmt(r["catch_p90"]), fmt(r["catch_max"]),
            fmt(r["ratio_p50_of_p50"], 2), fmt(r["acct_ratio_p90"], 2),
            fmt(r["acct_ratio_max"], 2), fmt(100 * r["share_at"][0.25]),
            fmt(100 * r["share_at"][0.5]), fmt(100 * a["throughput"]),
            fmt(100 * a["caught_t10"]), fmt(100 * a["realtime_t10"]),
            fmt(r["post_lag_p99"], 2), verdict))
    p = a0["ps"]
    out.append("| ideal (PS) | %s | %s | %s | 1.00 | 1.00 | 1.00 | %s%% / %s%% | 100%% | %s%% | "
               "%s%% | %s | - |" % (
                   fmt(p["catch_p50"]), fmt(p["catch_p90"]), fmt(p["catch_max"]),
                   fmt(100 * p["share_at"][0.25]), fmt(100 * p["share_at"][0.5]),
                   fmt(100 * a0["ps_caught_t10"]), fmt(100 * a0["ps_realtime_t10"]),
                   fmt(p["post_lag_p99"], 2)))
    out.append("")
    out.append("| policy | loss (acked not delivered) | duplicates | RSS min / max (MiB) | "
               "anonymous min / max | during the drain: anonymous | file-backed (LMDB map) |"
               " ingest (s) |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    mib = lambda kb: kb / 1024.0  # noqa: E731
    for a in runs:
        res = a["res"]
        r = res["rss_kb"]
        out.append("| %s | %d of %d | %d | %.0f / %.0f | %.0f / %.0f | %.0f / %.0f | "
                   "%.0f / %.0f | %.1f |" % (
                       a["policy"], res["loss"]["missing"], res["loss"]["acked"],
                       res["loss"]["duplicates"], mib(r["rss"]["min"]), mib(r["rss"]["max"]),
                       mib(r["anon"]["min"]), mib(r["anon"]["max"]),
                       mib(r["anon"]["drain_min"]), mib(r["anon"]["drain_max"]),
                       mib(r["file"]["drain_min"]), mib(r["file"]["drain_max"]),
                       res["ingest"]["seconds"]))
    out += restore_table(runs)
    return "\n".join(out) + "\n"


def restore_table(runs):
    """The restore scene's results (outage_drill.py --restore-scene-s), for the runs that had it."""
    rows = [a for a in runs if "restore" in a["res"]]
    if not rows:
        return []
    out = ["", "| policy | restore: lost = replayed | missing / extra / dup / reorders | "
           "replay / C | live lag p50 / p99 (s) | after catch-up p99 / allowed (s) | verdict |",
           "|---|---:|---:|---:|---:|---:|---|"]
    for a in rows:
        r = a["res"]["restore"]
        e = r["exact"]
        g = r.get("lag", {})
        t = r.get("throughput", {})
        out.append("| %s | %d = %d | %d / %d / %d / %d | %s | %s / %s | %s / %s | %s |" % (
            a["policy"], e["lost"], e["replayed_rows"], e["missing"], e["extra"],
            e["duplicates"], e["reorders"], fmt(t.get("fraction_of_C"), 2),
            fmt(g.get("lag_p50"), 2), fmt(g.get("lag_p99"), 2), fmt(g.get("post_lag_p99"), 2),
            fmt(g.get("bound"), 2), "pass" if r["ok"] else "FAIL"))
    return out


def svg(runs, path):
    W, H, L, R, T, Bm = 860, 500, 70, 170, 40, 60
    pw, ph = W - L - R, H - T - Bm
    xmax = max(max(a["curve"][-1] for a in runs), runs[0]["ideal_curve"][-1]) * 1.02
    n = runs[0]["N"]

    def X(t):
        return L + pw * t / xmax

    def Y(f):
        return T + ph * (1 - f)

    def steps(ts):
        pts = ["%.1f,%.1f" % (X(0), Y(0))]
        for k, t in enumerate(ts):
            pts.append("%.1f,%.1f" % (X(t), Y(k / n)))
            pts.append("%.1f,%.1f" % (X(t), Y((k + 1) / n)))
        return " ".join(pts)

    s = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
         'font-family="sans-serif" font-size="12">' % (W, H),
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="%d" y="22" font-size="15">Outage drill: accounts caught up over time '
         '(%d accounts, %d events, C = %.0f ev/s)</text>' % (L, n, runs[0]["B"], runs[0]["C"])]
    step = 10 if xmax <= 150 else 20 if xmax <= 300 else 50
    t = 0
    while t <= xmax:
        s.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' % (X(t), T, X(t), T + ph))
        s.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (X(t), T + ph + 16, t))
        t += step
    for k in range(0, 11, 2):
        f = k / 10
        s.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' % (L, Y(f), L + pw, Y(f)))
        s.append('<text x="%d" y="%.1f" text-anchor="end">%d%%</text>' % (L - 6, Y(f) + 4, k * 10))
    s.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="black"/>' % (L, T, pw, ph))
    s.append('<text x="%.1f" y="%d" text-anchor="middle">seconds since the downstream accepted '
             'the first batch</text>' % (L + pw / 2, H - 18))
    s.append('<text transform="translate(18,%.1f) rotate(-90)" text-anchor="middle">accounts whose '
             'backlog is delivered</text>' % (T + ph / 2))
    t10 = runs[0]["t10"]
    s.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#888" stroke-dasharray="4,3"/>' % (
        X(t10), T, X(t10), T + ph))
    s.append('<text x="%.1f" y="%d" fill="#555">10 min-eq</text>' % (X(t10) + 3, T + 14))
    series = [("ideal (max-min fair PS)", runs[0]["ideal_curve"], COLORS["ideal"], "6,4")]
    series += [(a["policy"], a["curve"], COLORS.get(a["policy"], "#9467bd"), "") for a in runs]
    for i, (name, ts, color, dash) in enumerate(series):
        s.append('<polyline fill="none" stroke="%s" stroke-width="2" %s points="%s"/>' % (
            color, 'stroke-dasharray="%s"' % dash if dash else "", steps(ts)))
        y = T + 20 + 22 * i
        s.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2" %s/>' % (
            L + pw + 12, y, L + pw + 40, y, color, 'stroke-dasharray="%s"' % dash if dash else ""))
        s.append('<text x="%d" y="%d">%s</text>' % (L + pw + 46, y + 4, name))
    s.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(s) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--svg")
    ap.add_argument("--markdown")
    a = ap.parse_args()
    fs = load_fairsim()
    runs = [analyse(fs, d) for d in a.runs]
    md = markdown(runs)
    sys.stdout.write(md)
    if a.markdown:
        open(a.markdown, "w").write(md)
    if a.svg:
        svg(runs, a.svg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
