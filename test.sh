#!/usr/bin/env bash
# Builds spillway with its tests in build-test/ and runs the whole suite: unit, integration
# and crash tests (meson test). Exits non-zero on any failure.
# SPILLWAY_CRASH_CYCLES sets the number of kill -9 cycles of the crash tests (default 50).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/deps.sh
spillway_install_packages "${SPILLWAY_BUILD_PACKAGES[@]}" "${SPILLWAY_TEST_PACKAGES[@]}"
if [ ! -f build-test/build.ninja ]; then
  meson setup build-test --buildtype=debugoptimized -Dtests=true -Dwerror=true
fi
ninja -C build-test
status=0
meson test -C build-test --print-errorlogs --num-processes 2 "$@" || status=$?
# One plain summary line for CI: "N passed, N failed" (skipped tests are counted apart).
python3 - build-test/meson-logs/testlog.json <<'PY'
import json, sys
counts = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    counts[r["result"]] = counts.get(r["result"], 0) + 1
ok = counts.get("OK", 0) + counts.get("EXPECTEDFAIL", 0)
skipped = counts.get("SKIP", 0)
failed = sum(counts.values()) - ok - skipped
print(f"{ok} passed, {failed} failed, {skipped} skipped")
PY
exit $status
