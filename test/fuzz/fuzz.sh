#!/usr/bin/env bash
# Builds the libFuzzer targets with clang 14 (-fsanitize=fuzzer,address,undefined) in
# build-fuzz/ and runs each for FUZZ_SECONDS (default 60) on its seed corpus in
# test/fuzz/corpus/<target>/. New inputs go to build-fuzz/corpus/<target>/ (merge the
# interesting ones into the repo by hand); a crasher is copied to test/fuzz/crashers/<target>/,
# where the regression test (meson test fuzz-regress-*) replays it in every build from then on.
#   test/fuzz/fuzz.sh                       build + 60 s per target
#   FUZZ_SECONDS=3600 test/fuzz/fuzz.sh     nightly: 1 CPU-hour per target
#   test/fuzz/fuzz.sh http_request          one target
set -euo pipefail
cd "$(dirname "$0")/../.."
CXX=${CXX:-clang++-14}
OUT=build-fuzz
SECONDS_PER=${FUZZ_SECONDS:-60}
TARGETS=(${@:-event_batch track_api http_request})
FLAGS=(-std=c++20 -O1 -g -fno-omit-frame-pointer -I. -DBOOST_ASIO_NO_DEPRECATED
       -DBOOST_BEAST_USE_STD_STRING_VIEW -DBOOST_ALL_NO_LIB)
SAN=(-fsanitize=address,undefined -fno-sanitize-recover=undefined)
SOURCES=(common/assert.cc common/crc32c.cc common/digest.cc common/histogram.cc common/logger.cc
         common/status.cc ingest/admin_routes.cc ingest/auth.cc ingest/event_normaliser.cc
         ingest/event_stamp.cc ingest/http_message.cc ingest/ingest_metrics.cc
         ingest/ingest_service.cc ingest/json_reader.cc ingest/quota_refusal_log.cc
         ingest/rate_limiter.cc ingest/request_body.cc ingest/request_reader.cc
         ingest/responses.cc ingest/router.cc ingest/segment_routes.cc
         ingest/track_api_event.cc ingest/track_api_routes.cc)
mkdir -p "$OUT/obj"
t0=$(date +%s)
objs=()
for src in "${SOURCES[@]}"; do objs+=("$OUT/obj/$(echo "$src" | tr / _).o"); done
for src in "${SOURCES[@]}"; do
  obj="$OUT/obj/$(echo "$src" | tr / _).o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then
    echo "$CXX ${FLAGS[*]} ${SAN[*]} -fsanitize=fuzzer-no-link -c $src -o $obj"
  fi
done | xargs -P 2 -I{} sh -c '{}'
for t in "${TARGETS[@]}"; do
  if [ ! -f "$OUT/fuzz_$t" ] || [ "test/fuzz/fuzz_$t.cc" -nt "$OUT/fuzz_$t" ]; then
    $CXX "${FLAGS[@]}" "${SAN[@]}" -fsanitize=fuzzer "test/fuzz/fuzz_$t.cc" "${objs[@]}" \
      -lcrypto -lz -lpthread -o "$OUT/fuzz_$t"
  fi
done
echo "fuzz build: $(( $(date +%s) - t0 )) s"
status=0
for t in "${TARGETS[@]}"; do
  rm -rf "$OUT/artifacts/$t"
  mkdir -p "$OUT/corpus/$t" "$OUT/artifacts/$t"
  echo "== fuzz_$t for ${SECONDS_PER} s"
  if ! "$OUT/fuzz_$t" -max_total_time="$SECONDS_PER" -max_len=65536 -rss_limit_mb=2048 \
      -artifact_prefix="$OUT/artifacts/$t/" -print_final_stats=1 \
      "$OUT/corpus/$t" "test/fuzz/corpus/$t" 2>&1 | tail -25; then
    status=1
  fi
  if compgen -G "$OUT/artifacts/$t/*" > /dev/null; then
    mkdir -p "test/fuzz/crashers/$t"
    cp "$OUT/artifacts/$t/"* "test/fuzz/crashers/$t/"
    echo "fuzz_$t: crasher(s) kept in test/fuzz/crashers/$t/"
    status=1
  fi
done
exit $status
