#!/usr/bin/env python3
"""Interleaved A/B of the outage drill on one capacity-matrix cell.

Cells of the capacity matrix flip between runs of one build (G2 1.05-1.16, G5 2.8-3.1 s on
5000/300/1.3), so one run per build says nothing about a change of a few percent. This runs
each variant REPS times on the same cell, alternating the order (A B, B A, ...), and prints the
goal values of every run (fairsim's, as bench/drill_matrix.py computes them).

  python3 bench/drill_ab.py --out /tmp/ab --cell 5000/300/1.3 --reps 3 \\
      new=build-drill base=/tmp/base-build@ slow=build-drill@--drain-max-concurrency 2

A variant is NAME=BUILD[@FLAGS]: BUILD a meson build dir (as --build of outage_drill.py),
FLAGS extra `spillway serve` flags. Standard library only.
"""
import argparse
import os
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import drill_matrix  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--cell", required=True, help="C/accounts/zipf, e.g. 5000/300/1.3")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--drain-s", type=float, default=30.0)
    ap.add_argument("--request-cost-ms", type=float, default=5.0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("variants", nargs="+", help="NAME=BUILD[@FLAGS]")
    a = ap.parse_args()
    c, n, s = a.cell.split("/")
    variants = []
    for v in a.variants:
        name, _, rest = v.partition("=")
        build, _, flags = rest.partition("@")
        variants.append((name, build, shlex.split(flags)))
    fs = drill_matrix.load_fairsim()
    for rep in range(a.reps):
        for name, build, flags in (variants if rep % 2 == 0 else variants[::-1]):
            out = os.path.join(a.out, "%s-%d" % (name, rep))
            cmd = [sys.executable, os.path.join(HERE, "outage_drill.py"), "--build", build,
                   "--out", out, "--capacity", c, "--events",
                   str(int(0.8 * float(c) * a.drain_s)), "--accounts", n, "--zipf-s", s,
                   "--request-cost-ms", str(a.request_cost_ms), "--workers", str(a.workers),
                   "--"] + flags
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            m = drill_matrix.metrics(fs, out)
            print("%-10s rep %d  G1 %.3f  G2 %.3f  G3 %.2f / %.2f  G5 %.2f / %.2f s  "
                  "G6 %.2f / %.2f s  lost %d  reorders %d  %s" % (
                      name, rep, m["G1"], m["G2"], m["G3"][0], m["G3"][1], m["G5"][0],
                      m["G5"][1], m["G6"][0], m["G6"][1], m["lost"], m["reorders"],
                      "pass" if not m["failed"] and m["lost"] == 0
                      else "FAIL " + ",".join(sorted(set(m["failed"])))), flush=True)


if __name__ == "__main__":
    main()
