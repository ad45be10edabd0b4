#!/bin/sh
# The outage drill (issue 4) for the three drain policies, then the side-by-side report and
# the plot. Build first:
#   meson setup build-drill -Dtests=true -Dbench=true
#   ninja -C build-drill app/spillway test/support/spillway-fake-downstream bench/outage_loader
# Usage: bench/outage_drill.sh BUILD_DIR OUT_DIR [CAPACITY] [-- extra spillway serve flags]
# Each policy's run is in OUT_DIR/<policy>/ (delivery log, ledger, fairsim.txt, result.json,
# samples.csv with spillway's RSS); OUT_DIR/report.md and OUT_DIR/outage_drill.svg summarise.
# Exit status 1 when any run lost an event or missed fairsim's goals; all three run regardless.
set -u
[ $# -ge 2 ] || { sed -n '2,9p' "$0"; exit 2; }
build=$1 out=$2
shift 2
capacity=10000
if [ $# -ge 1 ] && [ "$1" != "--" ]; then capacity=$1; shift; fi
[ "${1:-}" = "--" ] && shift
here=$(dirname "$0")
mkdir -p "$out"
status=0
for policy in fair catchup fifo; do
  # Goals per policy: see GOALS in outage_drill.py (fifo, the baseline, is judged on
  # throughput, order and loss only).
  python3 "$here/outage_drill.py" --build "$build" --out "$out/$policy" --policy "$policy" \
    --capacity "$capacity" -- "$@" || status=1
done
python3 "$here/outage_report.py" "$out/fair" "$out/catchup" "$out/fifo" \
  --svg "$out/outage_drill.svg" --markdown "$out/report.md" || status=1
exit $status
