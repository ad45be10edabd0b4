#!/usr/bin/env bash
# Sanitizer builds of spillway's tests (docs/reliability.md, "Sanitizers").
#   test/reliability/sanitize.sh asan   ASan+UBSan (build-asan): unit tests of queue, ingest,
#                                       replay, app, the crash test, ingest-crash and the fuzz
#                                       regression replays. SANITIZE_FULL=1 adds ingest-http
#                                       (~10 min: its client builds 4 MiB JSON bodies at -O0).
#   test/reliability/sanitize.sh tsan   ThreadSanitizer (build-tsan): the queue writer and the
#                                       drainer tests.
# Neither is in ./test.sh: each is a second full build (ASan ~12 min, TSan ~3 min on 2 shared
# cores), which the 30-minute budget of the one CI job cannot hold; run them as separate jobs.
# Extra arguments go to `meson test`. Prints `N passed, N failed` per job.
set -euo pipefail
cd "$(dirname "$0")/../.."
job=${1:-asan}
shift || true
case "$job" in
  asan)
    dir=build-asan
    opts=(-Db_sanitize=address,undefined -Db_lundef=false)
    targets=(test/queue/queue_test test/ingest/ingest_unit_test test/replay/replay_test
             test/replay/replay_sinks_test test/replay/drainer_test test/app/app_unit_test
             test/crash/wal_crash_test test/crash/wal_crash_child test/ingest/ingest_http_test
             test/ingest/ingest_crash_test app/spillway
             test/reliability/fuzz_regress_event_batch test/reliability/fuzz_regress_track_api
             test/reliability/fuzz_regress_http_request)
    tests=(queue ingest replay replay_sinks drainer app wal_crash ingest-crash
           fuzz-regress-event_batch fuzz-regress-track_api fuzz-regress-http_request)
    [ "${SANITIZE_FULL:-0}" = 1 ] && tests+=(ingest-http)
    # halt_on_error: a report fails the test; detect_leaks: LSan runs at exit.
    export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:abort_on_error=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
    export SPILLWAY_CRASH_CYCLES=${SPILLWAY_CRASH_CYCLES:-10}
    ;;
  tsan)
    dir=build-tsan
    opts=(-Db_sanitize=thread -Db_lundef=false)
    targets=(test/queue/queue_test test/replay/drainer_test)
    tests=(queue drainer)
    export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
    ;;
  *)
    echo "usage: $0 asan|tsan [meson test args]" >&2
    exit 2
    ;;
esac
t0=$(date +%s)
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" --buildtype=debug -Dtests=true "${opts[@]}" > /dev/null
fi
ninja -C "$dir" -j2 "${targets[@]}"
t1=$(date +%s)
status=0
meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes 1 -t 3 "${tests[@]}" "$@" \
  || status=$?
t2=$(date +%s)
python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
counts = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    counts[r["result"]] = counts.get(r["result"], 0) + 1
ok = counts.get("OK", 0)
print(f"{ok} passed, {sum(counts.values()) - ok - counts.get('SKIP', 0)} failed")
PY
echo "$job: build $((t1 - t0)) s, tests $((t2 - t1)) s"
exit $status
