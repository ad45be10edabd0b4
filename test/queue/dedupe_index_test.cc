// The idempotency index through the writer: keys sealed into runs, merged, expired and
// collected by the writer's own maintenance, with the same answers as before at every stage.
#include <doctest/doctest.h>

#include "queue/dedupe/bloom.h"
#include "queue/dedupe/index_codec.h"
#include "queue/lmdb_txn.h"
#include "queue/record_codec.h"
#include "test/queue/wal_fixture.h"

using namespace spillway;
using namespace spillway::queue;
using test::WalFixture;

namespace {

// Small seals and steps, so a few hundred keys exercise every maintenance path.
void small_index(WalFixture& f) {
  f.options.dedupe_seal_keys = 64;
  f.options.dedupe_step_bytes = 8192;
  f.options.dedupe_window = std::chrono::hours(1);
}

std::vector<std::string> keys(const std::string& prefix, int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

// Appends keyed events in requests of `per` and returns the seq each key was stored at.
std::vector<uint64_t> append_keys(WalFixture& f, AccountId a, const std::vector<std::string>& ks,
                                  size_t per = 16) {
  std::vector<uint64_t> seqs;
  for (size_t i = 0; i < ks.size(); i += per) {
    std::vector<std::string> batch(ks.begin() + i, ks.begin() + std::min(ks.size(), i + per));
    auto r = f.append(a, std::vector<std::string>(batch.size(), "{}"), batch);
    REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
    for (const auto& o : r->outcomes) seqs.push_back(o.seq.value);
  }
  return seqs;
}

// Waits (bounded) until the writer's maintenance reaches a state.
template <typename Pred>
bool index_reaches(WalFixture& f, Pred pred) {
  return f.wait_until([&] { return pred(f.wal().writer().index_stats()); });
}

void check_all_duplicates(WalFixture& f, AccountId a, const std::vector<std::string>& ks,
                          const std::vector<uint64_t>& seqs) {
  auto r = f.append(a, std::vector<std::string>(ks.size(), "{}"), ks);
  REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  CHECK(r->duplicates == ks.size());
  for (size_t i = 0; i < ks.size(); ++i) CHECK(r->outcomes[i].seq.value == seqs[i]);
}

// Appends keys one seal bound (options.dedupe_seal_keys) at a time, in requests of a quarter of
// it, and waits for each seal, so that every key ends up in a run whatever the machine's speed.
// `sealed` is the number of keys already in runs.
std::vector<uint64_t> append_sealed(WalFixture& f, AccountId a, const std::vector<std::string>& ks,
                                    uint64_t sealed) {
  const size_t bound = f.options.dedupe_seal_keys;
  REQUIRE(ks.size() % bound == 0);
  std::vector<uint64_t> seqs;
  for (size_t i = 0; i < ks.size(); i += bound) {
    auto part = append_keys(f, a, {ks.begin() + i, ks.begin() + i + bound}, bound / 4);
    seqs.insert(seqs.end(), part.begin(), part.end());
    sealed += bound;
    REQUIRE(index_reaches(f, [&](const dedupe::IndexStats& s) { return s.run_keys >= sealed; }));
  }
  return seqs;
}

}  // namespace

TEST_CASE("DedupeIndex: keys sealed into runs and merged are still duplicates, with their seq") {
  WalFixture f;
  small_index(f);
  AccountId a = f.create("acme");
  auto ks = keys("m", 0, 2000);
  auto seqs = append_keys(f, a, ks);
  // Merges get a share of the writer only: wait until they have caught up.
  REQUIRE(index_reaches(f, [](const dedupe::IndexStats& s) { return s.merges >= 2 && !s.busy; }));
  check_all_duplicates(f, a, ks, seqs);
  CHECK(f.read(a).size() == ks.size());
  auto st = f.wal().writer().index_stats();
  CHECK(st.runs < 16);
  CHECK_FALSE(f.log.contains("index step failed"));  // seals and merges interleave cleanly
  f.check_consistent();
  f.reopen();
  check_all_duplicates(f, a, ks, seqs);
  f.check_consistent();
}

TEST_CASE("DedupeIndex: the same key in two accounts is two keys") {
  WalFixture f;
  small_index(f);
  AccountId a = f.create("a"), b = f.create("b");
  auto ks = keys("m", 0, 300);
  append_keys(f, a, ks);
  REQUIRE(index_reaches(f, [](const dedupe::IndexStats& s) { return s.run_keys >= 200; }));
  auto r = f.append(b, std::vector<std::string>(ks.size(), "{}"), ks);
  REQUIRE(r.is_ok());
  CHECK(r->stored == ks.size());
}

TEST_CASE("DedupeIndex: a key is new again after its window, and expired runs are dropped") {
  WalFixture f;
  small_index(f);
  f.options.dedupe_window = std::chrono::minutes(10);
  AccountId a = f.create("acme");
  auto ks = keys("m", 0, 400);
  append_keys(f, a, ks);
  REQUIRE(index_reaches(f, [](const dedupe::IndexStats& s) { return s.run_keys >= 337; }));
  f.clock.advance(std::chrono::minutes(9));
  CHECK(f.append(a, {"{}"}, {"m7"})->duplicates == 1);
  f.clock.advance(std::chrono::minutes(2));
  auto again = f.append(a, {"{}"}, {"m7"});
  REQUIRE(again.is_ok());
  CHECK(again->stored == 1);
  // Everything but the new m7 leaves the window: runs go, and their rows are deleted.
  REQUIRE(index_reaches(f, [](const dedupe::IndexStats& s) {
    return s.run_keys + s.recent_keys <= 1 && s.dropped_runs > 0;
  }));
  // ... and the collector deletes their rows and the sealed key log.
  REQUIRE(index_reaches(f, [&](const dedupe::IndexStats&) {
    auto report = check_store(f.wal().env());
    return report.is_ok() && report->dedupe_entries <= 2 && report->dedupe_garbage_rows == 0;
  }));
  CHECK(f.append(a, {"{}"}, {"m7"})->duplicates == 1);
}

TEST_CASE("DedupeIndex: one request mixing keys of old runs, newer runs, recent and new keys") {
  // A request's keys are probed together, run by run (find_many): each must get its own answer
  // whichever run, if any, holds it, in any order in the request, across expired runs.
  WalFixture f;
  small_index(f);
  f.options.dedupe_window = std::chrono::minutes(10);
  AccountId a = f.create("acme");
  // Whole seals only: a seal takes every recent key there is when it starts, so a count that is
  // not a multiple of the seal bound could leave keys of either set in memory, depending on
  // how fast the writer's maintenance kept up (CI once waited in vain for 256 of 300 "old" keys).
  auto old_keys = keys("old", 0, 256);
  append_sealed(f, a, old_keys, 0);
  f.clock.advance(std::chrono::minutes(6));
  auto mid_keys = keys("mid", 0, 256);
  auto mid_seqs = append_sealed(f, a, mid_keys, 256);
  auto recent_keys = keys("recent", 0, 20);  // under the seal bound: still in memory
  auto recent_seqs = append_keys(f, a, recent_keys);
  f.clock.advance(std::chrono::minutes(5));  // the "old" keys leave the window
  std::vector<std::string> ks;
  std::vector<std::optional<uint64_t>> want;
  for (int i = 0; i < 256; i += 7) {
    ks.push_back(old_keys[i]), want.push_back(std::nullopt);
    ks.push_back(mid_keys[i]), want.push_back(mid_seqs[i]);
    ks.push_back("new" + std::to_string(i)), want.push_back(std::nullopt);
    if (i < 20) ks.push_back(recent_keys[i]), want.push_back(recent_seqs[i]);
  }
  auto r = f.append(a, std::vector<std::string>(ks.size(), "{}"), ks);
  REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  for (size_t i = 0; i < ks.size(); ++i) {
    CAPTURE(ks[i]);
    CHECK(r->outcomes[i].duplicate == want[i].has_value());
    if (want[i]) CHECK(r->outcomes[i].seq.value == *want[i]);
  }
}

TEST_CASE(
    "DedupeIndex: Bloom chunks in pages of their own are read once, then addressed directly") {
  // A probe must not descend LMDB's B-tree for a chunk it has already found in an earlier
  // transaction (RunLookup's pinned chunks), and must forget the chunks of a retired run.
  WalFixture f;
  f.options.dedupe_seal_keys = 8192;
  f.options.dedupe_window = std::chrono::minutes(10);
  AccountId a = f.create("acme");
  auto first = keys("p", 0, 8192);
  auto first_seqs = append_keys(f, a, first, 256);
  REQUIRE(index_reaches(f, [](const dedupe::IndexStats& s) { return s.run_keys >= 8192; }));
  // The writer publishes its stats between groups: one more group (without a key) first.
  auto stats = [&] {
    REQUIRE(f.append(a, {"{}"}).is_ok());
    return f.wal().writer().index_stats();
  };
  // 8,192 keys: full chunks of 63 blocks in overflow pages, and a short last one in a leaf page
  // (read again by every transaction).
  const uint32_t chunks = dedupe::bloom::shape_for(8192).chunks();
  const uint64_t before = stats().bloom_fetches;
  check_all_duplicates(f, a, first, first_seqs);  // one request: every chunk probed
  const dedupe::IndexStats once = stats();
  CHECK(once.bloom_fetches - before == chunks);  // each chunk read once
  CHECK(once.pinned_bloom_chunks >= 2);
  CHECK(once.pinned_bloom_chunks >= chunks - 1);
  check_all_duplicates(f, a, first, first_seqs);
  // Only the chunks in leaf pages are read again; not one descent for the pinned ones.
  CHECK(stats().bloom_fetches - once.bloom_fetches == chunks - once.pinned_bloom_chunks);

  // Three more runs merge with the first into one: the four are retired and their rows
  // collected (their pages free for reuse), and lookups go to the merged run's chunks only.
  // Each seal waited for: a seal takes every recent key there is when it starts, so one that
  // lagged behind the appends would leave the last keys in memory and three runs unmerged.
  auto more = keys("q", 0, 3 * 8192);
  auto more_seqs = append_sealed(f, a, more, 8192);
  REQUIRE(index_reaches(f, [](const dedupe::IndexStats& s) {
    return s.merges >= 1 && s.runs == 1 && s.recent_keys == 0 && !s.busy;
  }));
  check_all_duplicates(f, a, first, first_seqs);
  check_all_duplicates(f, a, more, more_seqs);
  const dedupe::IndexStats after = stats();
  CHECK(after.pinned_bloom_chunks <= dedupe::bloom::shape_for(after.run_keys).chunks());
  CHECK(after.pinned_bloom_chunks > 0);

  // Expired: the run is dropped and its chunks forgotten.
  f.clock.advance(std::chrono::minutes(11));
  REQUIRE(index_reaches(f, [&](const dedupe::IndexStats& s) {
    REQUIRE(f.append(a, {"{}"}).is_ok());  // groups keep the published stats fresh
    return s.dropped_runs > 0 && s.runs == 0 && s.pinned_bloom_chunks == 0;
  }));
  CHECK(f.append(a, {"{}"}, {"p7"})->stored == 1);
}

TEST_CASE("DedupeIndex: the same key twice in one request is stored once") {
  WalFixture f;
  AccountId a = f.create("acme");
  auto r = f.append(a, {"{1}", "{2}", "{3}"}, {"k", "k", "j"});
  REQUIRE(r.is_ok());
  CHECK(r->stored == 2);
  CHECK(r->duplicates == 1);
  CHECK(r->outcomes[1].seq == r->outcomes[0].seq);
}

TEST_CASE("DedupeIndex: a reopen in the middle of a seal keeps every key and collects the rest") {
  WalFixture f;
  small_index(f);
  f.options.dedupe_step_bytes = 4096;  // one block per step: the seal spans many transactions
  AccountId a = f.create("acme");
  auto ks = keys("m", 0, 600);
  auto seqs = append_keys(f, a, ks, 100);
  f.reopen();  // whatever the maintenance had done, committed or not
  f.check_consistent();
  check_all_duplicates(f, a, ks, seqs);
  REQUIRE(index_reaches(f, [](const dedupe::IndexStats& s) { return s.recent_keys < 64; }));
  f.reopen();
  check_all_duplicates(f, a, ks, seqs);
  f.check_consistent();
}

TEST_CASE("DedupeIndex: a damaged run refuses keyed ingest with 503 and verify names it") {
  WalFixture f;
  small_index(f);
  AccountId a = f.create("acme");
  auto ks = keys("m", 0, 200);
  append_keys(f, a, ks);
  REQUIRE(index_reaches(f, [](const dedupe::IndexStats& s) { return s.run_keys >= 100; }));
  f.close();
  {
    auto env = LmdbEnv::open({f.options.dir, f.options.map_size, 16, false});
    REQUIRE(env.is_ok());
    auto txn = WriteTxn::begin((*env)->get());
    REQUIRE(txn.is_ok());
    auto cur = Cursor::open(txn->get(), (*env)->tables().dedupe_blocks);
    REQUIRE(cur.is_ok());
    REQUIRE(*cur->first());
    std::string key(cur->key()), value(cur->value());
    value[20] = static_cast<char>(value[20] ^ 0x5a);  // a byte inside the first entry
    REQUIRE(txn->put((*env)->tables().dedupe_blocks, key, value).is_ok());
    REQUIRE(txn->commit().is_ok());
  }
  auto report = check_store(f.wal().env());
  REQUIRE(report.is_ok());
  REQUIRE(!report->ok());
  CHECK(report->problems[0].find("dedupe run") != std::string::npos);
  // Keys that probe the damaged block are refused; the request stores nothing.
  size_t depth = f.read(a).size();
  bool refused = false;
  for (const std::string& k : ks) {
    auto r = f.append(a, {"{}"}, {k});
    if (!r.is_ok()) {
      CHECK(r.status().code() == Status::Code::kUnavailable);
      refused = true;
      break;
    }
  }
  CHECK(refused);
  CHECK(f.read(a).size() == depth);
  CHECK(f.log.contains("idempotency index damaged"));
  CHECK(f.append(a, {"{}"}).is_ok());  // events without a key are still taken
}

TEST_CASE(
    "DedupeIndex: a version-1 store is refused, then upgraded on demand, and keeps its keys") {
  WalFixture f;
  f.options.dedupe_window = std::chrono::minutes(10);
  AccountId a = f.create("acme");
  auto ks = keys("old", 0, 300);
  f.close();
  {  // Rewrite the store as version 1 wrote it: its index in `dedupe` and `dedupe_expiry`.
    auto env = LmdbEnv::open({f.options.dir, f.options.map_size, 16, false});
    REQUIRE(env.is_ok());
    const Tables& t = (*env)->tables();
    auto txn = WriteTxn::begin((*env)->get());
    REQUIRE(txn.is_ok());
    MDB_dbi v1 = 0, v1_expiry = 0;
    REQUIRE(mdb_dbi_open(txn->get(), "dedupe", MDB_CREATE, &v1) == MDB_SUCCESS);
    REQUIRE(mdb_dbi_open(txn->get(), "dedupe_expiry", MDB_CREATE, &v1_expiry) == MDB_SUCCESS);
    for (size_t i = 0; i < ks.size(); ++i) {
      const int64_t expiry = f.clock.wall_ms() + (i % 2 == 0 ? 300'000 : -1);  // odd: expired
      auto hash = codec::idempotency_hash(ks[i]);
      REQUIRE(txn->put(v1, codec::dedupe_key(a, hash), codec::dedupe_value(Seq{i + 1}, expiry))
                  .is_ok());
      REQUIRE(txn->put(v1_expiry, codec::dedupe_expiry_key(expiry, a, hash), {}).is_ok());
    }
    for (MDB_dbi dbi : {t.dedupe_log, t.dedupe_runs, t.dedupe_blocks, t.dedupe_bloom}) {
      REQUIRE(mdb_drop(txn->get(), dbi, 1) == MDB_SUCCESS);
    }
    REQUIRE(txn->put(t.meta, codec::kMetaFormatVersion, codec::u32_value(1)).is_ok());
    REQUIRE(txn->commit().is_ok());
  }
  auto refused = Wal::open(f.options, f.clock, f.log);
  REQUIRE(!refused.is_ok());
  CHECK(refused.status().message().find("spillway upgrade") != std::string::npos);
  f.options.upgrade_format = true;
  f.open();
  CHECK(f.log.contains("upgraded store to format " + std::to_string(codec::kFormatVersion)));
  for (size_t i = 0; i < ks.size(); ++i) {
    auto r = f.append(a, {"{}"}, {ks[i]});
    REQUIRE(r.is_ok());
    CHECK(r->duplicates == (i % 2 == 0 ? 1u : 0u));  // live keys stay; expired ones are new
    if (i % 2 == 0) CHECK(r->outcomes[0].seq.value == i + 1);
  }
  auto rtxn = ReadTxn::begin(f.wal().env().get());
  REQUIRE(rtxn.is_ok());
  auto version = rtxn->find(f.wal().env().tables().meta, codec::kMetaFormatVersion);
  REQUIRE(version.is_ok());
  CHECK(*codec::parse_u32(**version) == codec::kFormatVersion);
  MDB_dbi gone = 0;
  CHECK(mdb_dbi_open(rtxn->get(), "dedupe", 0, &gone) == MDB_NOTFOUND);
}
