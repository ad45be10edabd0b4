#!/usr/bin/env python3
"""Plot of the request size and the downstream latency over time for one outage drill run
(bench/outage_drill.py, typically with --speed-change), from its samples.csv (0.5 s samples
of GET /v1/backlog and /metrics) and result.json (the capacity steps).

  request_size_plot.py RUN_DIR --svg docs/request_size.svg

Three panels sharing the time axis (s since the downstream came up): the downstream's
capacity (events/s), the request size the drainer chose (events), the mean request latency
over each sample interval (ms) with the model's predicted cost a + b n of the chosen size.
Standard library only: the SVG is written by hand.
"""

import argparse
import csv
import json
import os
import sys

W, PANEL, GAP, LEFT, TOP = 760, 150, 40, 70, 30


def load(run_dir):
    res = json.load(open(os.path.join(run_dir, "result.json")))
    t0 = res["drain_started"]
    rows = [r for r in csv.DictReader(open(os.path.join(run_dir, "samples.csv")))
            if float(r["time"]) >= t0]
    return res, t0, rows


def polyline(points, x, y, color, dash=""):
    pts = " ".join("%.1f,%.1f" % (x(t), y(v)) for t, v in points)
    extra = ' stroke-dasharray="%s"' % dash if dash else ""
    return '<polyline fill="none" stroke="%s" stroke-width="1.5"%s points="%s"/>' % (
        color, extra, pts)


def panel(s, i, title, series, t_max):
    top = TOP + i * (PANEL + GAP)
    v_max = max([v for pts, _, _ in series for _, v in pts] + [1]) * 1.1
    x = lambda t: LEFT + (W - LEFT - 20) * t / t_max  # noqa: E731
    y = lambda v: top + PANEL - PANEL * v / v_max  # noqa: E731
    s.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>' % (
        LEFT, top, W - LEFT - 20, PANEL))
    s.append('<text x="%d" y="%d" font-size="12">%s</text>' % (LEFT, top - 6, title))
    for frac in (0, 0.5, 1):
        s.append('<text x="%d" y="%.1f" font-size="10" text-anchor="end">%.0f</text>' % (
            LEFT - 4, y(frac * v_max / 1.1) + 3, frac * v_max / 1.1))
    for pts, color, dash in series:
        s.append(polyline(pts, x, y, color, dash))


def svg(res, t0, rows, path):
    t_end = max(float(r["time"]) for r in rows) - t0
    steps = [(t - t0, c) for t, c in res.get("speed_log", [[t0, res["capacity"]]])]
    cap = []
    for i, (t, c) in enumerate(steps):
        nxt = steps[i + 1][0] if i + 1 < len(steps) else t_end
        cap += [(t, c), (nxt, c)]
    size = [(float(r["time"]) - t0, float(r["request_events"])) for r in rows]
    lat = [(float(r["time"]) - t0, float(r["mean_latency_ms"])) for r in rows
           if float(r["mean_latency_ms"]) > 0]
    model = [(float(r["time"]) - t0, float(r["cost_fixed_ms"]) +
              float(r["cost_per_event_us"]) * float(r["request_events"]) / 1000.0)
             for r in rows if float(r["cost_per_event_us"]) > 0]
    h = TOP + 3 * (PANEL + GAP) + 10
    s = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
         'font-family="sans-serif">' % (W, h), '<rect width="100%" height="100%" fill="white"/>']
    panel(s, 0, "downstream capacity (events/s)", [(cap, "#444", "")], t_end)
    panel(s, 1, "request size chosen (events, sampled every 0.5 s)", [(size, "#1f77b4", "")],
          t_end)
    panel(s, 2, "request latency (ms): measured mean (solid), model a + b n (dashed)",
          [(lat, "#d62728", ""), (model, "#2ca02c", "4,3")], t_end)
    s.append('<text x="%d" y="%d" font-size="11" text-anchor="middle">seconds since the '
             'downstream came up</text>' % ((W + LEFT) // 2, h - 4))
    s.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(s) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir")
    ap.add_argument("--svg", required=True)
    a = ap.parse_args()
    res, t0, rows = load(a.run_dir)
    if not rows:
        sys.exit("no samples after the downstream came up")
    svg(res, t0, rows, a.svg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
