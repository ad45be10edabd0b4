// The idempotency index's pure parts: the Bloom filter, the merge policy, the codecs.
#include <doctest/doctest.h>

#include <random>

#include "queue/dedupe/bloom.h"
#include "queue/dedupe/entry_source.h"
#include "queue/dedupe/index_codec.h"
#include "queue/dedupe/maintenance_pacer.h"
#include "queue/dedupe/merge_plan.h"
#include "queue/record_codec.h"

using namespace spillway;
using namespace spillway::queue::dedupe;

namespace {

KeyId random_id(std::mt19937_64& rng) {
  std::array<uint8_t, 16> h{};
  for (auto& b : h) b = static_cast<uint8_t>(rng());
  return make_key_id(h, AccountId{static_cast<uint32_t>(rng() % 1000)});
}

codec::RunInfo run(uint64_t id, uint8_t level, int64_t max_seen_ms) {
  codec::RunInfo r;
  r.id = id;
  r.level = level;
  r.count = 10;
  r.min_seen_ms = max_seen_ms - 1;
  r.max_seen_ms = max_seen_ms;
  return r;
}

constexpr int64_t kHour = 3'600'000;

}  // namespace

TEST_CASE("bloom: no false negatives and about 0.1% false positives") {
  std::mt19937_64 rng(7);
  const uint64_t n = 100000;
  bloom::Shape shape = bloom::shape_for(n);
  std::string bits(shape.blocks * bloom::kBlockBytes, '\0');
  std::vector<KeyId> ids;
  for (uint64_t i = 0; i < n; ++i) {
    ids.push_back(random_id(rng));
    bloom::add(bits.data() + bloom::block_of(ids.back(), shape.blocks) * 64, ids.back());
  }
  for (const KeyId& id : ids) {
    REQUIRE(bloom::may_contain(bits.data() + bloom::block_of(id, shape.blocks) * 64, id));
  }
  int positives = 0;
  for (int i = 0; i < 100000; ++i) {
    KeyId id = random_id(rng);
    positives += bloom::may_contain(bits.data() + bloom::block_of(id, shape.blocks) * 64, id);
  }
  // 0.10% computed for 512-bit blocks at 16 bits and 7 bits per key (Poisson keys per block);
  // 10 bits per key gave ~1.2%.
  CHECK(positives < 200);
  CHECK(positives > 20);  // a filter that says no to everything is broken, not good
}

TEST_CASE("bloom: the block rises with the sort order, so runs fill their filter in order") {
  std::mt19937_64 rng(3);
  std::vector<KeyEntry> entries;
  for (int i = 0; i < 5000; ++i) entries.push_back({random_id(rng), Seq{1}, 1});
  sort_entries(entries);
  uint64_t prev = 0;
  for (const KeyEntry& e : entries) {
    uint64_t b = bloom::block_of(e.id, 777);
    CHECK(b >= prev);
    prev = b;
  }
  CHECK(bloom::shape_for(200'000'000).chunk_blocks * bloom::kBlockBytes <= bloom::kMaxChunkBytes);
}

TEST_CASE("maintenance pacing: a quarter of the writer, more as live runs pile up") {
  using std::chrono::microseconds;
  using std::chrono::milliseconds;
  using P = MaintenancePacer;
  // Few runs: after a step of d the next waits 3d (a quarter), at least 5 ms.
  CHECK(P::gap_after(milliseconds(4), 6) == milliseconds(12));
  CHECK(P::gap_after(microseconds(500), 6) == milliseconds(5));
  CHECK(P::gap_after(milliseconds(4), P::kRunsSlow) == milliseconds(12));
  // Ingest outran the merges: half the writer, then four fifths, with no 5 ms floor.
  CHECK(P::gap_after(milliseconds(4), P::kRunsSlow + 1) == milliseconds(4));
  CHECK(P::gap_after(microseconds(500), P::kRunsSlow + 1) == microseconds(500));
  CHECK(P::gap_after(milliseconds(4), P::kRunsStall + 1) == milliseconds(1));
  CHECK(P::gap_after(milliseconds(4), 200) == milliseconds(1));
}

TEST_CASE("merge_plan: four runs of one level and bucket merge; other buckets do not mix") {
  MergePolicy p;
  p.window_ms = 24 * kHour;  // buckets of 3 hours
  const int64_t now = 100 * kHour + 10;
  std::vector<codec::RunInfo> runs = {run(1, 0, now - 10), run(2, 0, now - 9), run(3, 0, now - 8)};
  CHECK(pick_merge(runs, now, p).empty());
  runs.push_back(run(4, 0, now - 7));
  CHECK(pick_merge(runs, now, p) == std::vector<uint64_t>{1, 2, 3, 4});
  // Level 1 runs of the same bucket wait for their own fanout.
  std::vector<codec::RunInfo> mixed = {run(5, 1, now - 5), run(6, 1, now - 4), run(7, 0, now - 3),
                                       run(8, 0, now - 2)};
  CHECK(pick_merge(mixed, now, p).empty());
}

TEST_CASE("merge_plan: a closed bucket merges into one run, and expired runs are dropped") {
  MergePolicy p;
  p.window_ms = 24 * kHour;
  const int64_t now = 100 * kHour + 10;
  // 6 hours ago: a closed bucket with three runs of different levels.
  std::vector<codec::RunInfo> runs = {run(1, 2, now - 6 * kHour), run(2, 0, now - 6 * kHour + 5),
                                      run(3, 1, now - 6 * kHour + 9), run(9, 0, now - 1)};
  CHECK(pick_merge(runs, now, p) == std::vector<uint64_t>{1, 2, 3});
  runs.push_back(run(10, 3, now - 25 * kHour));
  CHECK(expired_runs(runs, now, p.window_ms) == std::vector<uint64_t>{10});
  CHECK(pick_merge({run(10, 3, now - 25 * kHour), run(11, 3, now - 25 * kHour)}, now, p).empty());
}

TEST_CASE("index codec: blocks and runs round-trip, and damage is caught by the CRC") {
  std::mt19937_64 rng(5);
  std::vector<KeyEntry> entries;
  for (size_t i = 0; i < codec::kBlockEntries; ++i) {
    entries.push_back({random_id(rng), Seq{i}, static_cast<int64_t>(i)});
  }
  std::string v = codec::block_value(entries);
  CHECK(v.size() <= 4080);  // one overflow page
  auto block = codec::parse_block_value(v);
  REQUIRE(block.is_ok());
  CHECK(block->at(5) == entries[5]);
  v[100] = static_cast<char>(v[100] ^ 1);
  CHECK(codec::parse_block_value(v).status().code() == Status::Code::kCorruption);
  codec::RunInfo r = run(42, 3, 1234);
  r.blocks = 9;
  r.bloom_blocks = 77;
  r.chunk_blocks = 77;
  auto back = codec::parse_run(codec::run_key(42), codec::run_value(r));
  REQUIRE(back.is_ok());
  CHECK(*back == r);
}
