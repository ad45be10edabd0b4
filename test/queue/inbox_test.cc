// The sequential inbox (queue/inbox.h): appends staged under load, moved into `events` later,
// and what a crash between the two leaves.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "queue/lmdb_txn.h"
#include "queue/record_codec.h"
#include "test/queue/wal_fixture.h"

using namespace spillway;
using namespace spillway::queue;
using test::WalFixture;

namespace {

// Every plain append staged, even alone (the default needs a group of two).
void stage_all(WalFixture& f, bool move_when_idle = true) {
  f.options.inbox_min_group = 1;
  f.options.inbox_move_when_idle = move_when_idle;
  f.options.inbox_move_age = std::chrono::hours(1);  // the manual clock never gets there
}

std::vector<std::string> payloads(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("{\"e\":\"" + prefix + std::to_string(i) + "\"}");
  return out;
}

uint64_t inbox_rows_on_disk(WalFixture& f) {
  auto txn = ReadTxn::begin(f.wal().env().get());
  REQUIRE(txn.is_ok());
  MDB_stat st{};
  REQUIRE(mdb_stat(txn->get(), f.wal().env().tables().inbox, &st) == MDB_SUCCESS);
  return st.ms_entries;
}

// An append carrying one invalid event: its dead letter takes a seq on the direct path.
Result<AppendResult> append_rejected(WalFixture& f, AccountId a) {
  AppendRequest req;
  req.account = a;
  req.received_ms = f.clock.wall_ms();
  req.rejected.push_back({"not json", "invalid JSON"});
  return f.wait<Result<AppendResult>>(
      [&](auto done) { f.wal().writer().append(std::move(req), done); });
}

}  // namespace

TEST_CASE("Inbox: staged appends reach events in order, with their records, once moved") {
  WalFixture f;
  stage_all(f);
  AccountId a = f.create("a"), b = f.create("b");
  std::vector<std::string> want_a, want_b;
  for (int i = 0; i < 40; ++i) {
    auto pa = payloads("a" + std::to_string(i) + "-", 1 + i % 3);
    auto pb = payloads("b" + std::to_string(i) + "-", 2);
    REQUIRE(f.append(a, pa).is_ok());
    REQUIRE(f.append(b, pb).is_ok());
    want_a.insert(want_a.end(), pa.begin(), pa.end());
    want_b.insert(want_b.end(), pb.begin(), pb.end());
  }
  // Each request was acknowledged from the inbox; the last move comes once the writer idles.
  CHECK(f.wal().writer().stats().staged_events == want_a.size() + want_b.size());
  REQUIRE(f.wait_until([&] { return f.record(a).depth == want_a.size(); }));
  REQUIRE(f.wait_until([&] { return f.record(b).depth == want_b.size(); }));
  CHECK(f.wal().writer().stats().inbox_moves >= 1);
  auto got = f.read(a);
  REQUIRE(got.size() == want_a.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].seq.value == i + 1);
    CHECK(got[i].payload == want_a[i]);
  }
  CHECK(f.record(a).next_seq == want_a.size() + 1);
  CHECK(f.record(a).head_seq == 1);
  CHECK(inbox_rows_on_disk(f) == 0);
  f.check_consistent();
  f.reopen();
  CHECK(f.record(b).depth == want_b.size());
  CHECK(f.read(b).size() == want_b.size());
}

TEST_CASE("Inbox: staged events stay unseen until moved; settles commit beside them") {
  WalFixture f;
  stage_all(f, false);
  AccountId a = f.create("a");
  auto r = f.append(a, payloads("x", 3));
  REQUIRE(r.is_ok());
  CHECK(r->stored == 3);
  // Acknowledged, durable in the inbox, not yet published: the drainer would find nothing.
  CHECK(inbox_rows_on_disk(f) == 3);
  CHECK(f.record(a).depth == 0);
  CHECK(f.read(a).empty());
  // A second append stages behind the first, at the next seqs.
  auto r2 = f.append(a, payloads("y", 2));
  REQUIRE(r2.is_ok());
  CHECK(r2->outcomes[0].seq.value == 4);
  // An append with an invalid event stores its dead letter directly at the next seq: the
  // staged events move first.
  REQUIRE(append_rejected(f, a).is_ok());
  CHECK(inbox_rows_on_disk(f) == 0);
  CHECK(f.record(a).depth == 5);
  CHECK(f.record(a).next_seq == 7);
  // Staged again, then settles beside them: the durable record changes, the rows stay, and
  // the move finds the view and the rows in agreement (it asserts so).
  REQUIRE(f.append(a, payloads("z", 2)).is_ok());
  REQUIRE(f.settle(a, {1, 2}).is_ok());
  CHECK(inbox_rows_on_disk(f) == 2);
  CHECK(f.record(a).depth == 3);
  CHECK(f.record(a).head_seq == 3);
  REQUIRE(f.settle(a, {3, 4, 5}).is_ok());
  CHECK(f.record(a).depth == 0);
  f.check_consistent();
  // Empty in `events`: the staged events are its head once moved.
  REQUIRE(append_rejected(f, a).is_ok());
  CHECK(inbox_rows_on_disk(f) == 0);
  CHECK(f.record(a).depth == 2);
  CHECK(f.record(a).head_seq == 7);
  CHECK(f.record(a).next_seq == 10);
  auto got = f.read(a);
  REQUIRE(got.size() == 2);
  CHECK(got[0].payload == "{\"e\":\"z0\"}");
  CHECK(got[1].seq.value == 8);
  f.check_consistent();
  f.reopen();
  CHECK(f.record(a).depth == 2);
}

TEST_CASE("Inbox: a batch larger than inbox_max_request_events takes the direct path") {
  WalFixture f;
  stage_all(f, false);
  AccountId a = f.create("a");
  REQUIRE(f.append(a, payloads("big", 9)).is_ok());
  CHECK(f.wal().writer().stats().staged_events == 0);
  CHECK(f.record(a).depth == 9);  // in `events` at once
  REQUIRE(f.append(a, payloads("small", 8)).is_ok());
  CHECK(f.wal().writer().stats().staged_events == 8);
  CHECK(inbox_rows_on_disk(f) == 8);
  f.check_consistent();
}

TEST_CASE("Inbox: a duplicate of a staged event is answered with its seq") {
  WalFixture f;
  stage_all(f, false);
  AccountId a = f.create("a");
  auto first = f.append(a, {"{}", "{}"}, {"k1", "k2"});
  REQUIRE(first.is_ok());
  auto again = f.append(a, {"{}", "{}"}, {"k2", "k3"});
  REQUIRE(again.is_ok());
  CHECK(again->duplicates == 1);
  CHECK(again->outcomes[0].seq.value == first->outcomes[1].seq.value);
  CHECK(again->outcomes[1].seq.value == 3);
  REQUIRE(append_rejected(f, a).is_ok());  // moves first
  CHECK(f.record(a).depth == 3);
  f.check_consistent();
}

TEST_CASE("Inbox: rows a crash left are moved at open, the records derived from them") {
  WalFixture f;
  AccountId a = f.create("a");
  REQUIRE(f.append(a, payloads("m", 3)).is_ok());  // alone: the direct path
  REQUIRE(f.record(a).depth == 3);
  f.close();
  {
    // What a kill -9 between a staging commit and its move leaves: rows, no record change.
    auto env = LmdbEnv::open({f.options.dir, f.options.map_size, 16, false});
    REQUIRE(env.is_ok());
    auto txn = WriteTxn::begin((*env)->get());
    REQUIRE(txn.is_ok());
    for (uint64_t i = 0; i < 2; ++i) {
      std::string value = codec::event_value("{\"e\":\"s" + std::to_string(i) + "\"}", 1000);
      REQUIRE(txn->put((*env)->tables().inbox, codec::inbox_key(7 + i),
                       codec::inbox_value(a, Seq{4 + i}, value), MDB_APPEND)
                  .is_ok());
    }
    REQUIRE(txn->commit().is_ok());
    // Not damage: the next open moves them.
    auto report = check_store(**env);
    REQUIRE(report.is_ok());
    CHECK(report->ok());
    CHECK(report->staged_events == 2);
  }
  f.open();
  CHECK(f.log.contains("moved staged events left by the last run"));
  CHECK(f.record(a).depth == 5);
  CHECK(f.record(a).next_seq == 6);
  auto got = f.read(a);
  REQUIRE(got.size() == 5);
  CHECK(got[3].payload == "{\"e\":\"s0\"}");
  CHECK(got[4].seq.value == 5);
  CHECK(inbox_rows_on_disk(f) == 0);
  f.check_consistent();
  // New appends continue after them.
  auto r = f.append(a, {"{}"});
  REQUIRE(r.is_ok());
  CHECK(r->outcomes[0].seq.value == 6);
}

TEST_CASE("Inbox: a staged row below its account's next seq refuses the open") {
  WalFixture f;
  AccountId a = f.create("a");
  REQUIRE(f.append(a, payloads("m", 3)).is_ok());
  f.close();
  {
    auto env = LmdbEnv::open({f.options.dir, f.options.map_size, 16, false});
    REQUIRE(env.is_ok());
    auto txn = WriteTxn::begin((*env)->get());
    REQUIRE(txn.is_ok());
    REQUIRE(txn->put((*env)->tables().inbox, codec::inbox_key(1),
                     codec::inbox_value(a, Seq{2}, codec::event_value("{}", 1000)), MDB_APPEND)
                .is_ok());
    REQUIRE(txn->commit().is_ok());
    auto report = check_store(**env);
    REQUIRE(report.is_ok());
    REQUIRE(report->problems.size() == 1);
    CHECK(report->problems[0].find("inbox row 1 (account") != std::string::npos);
  }
  auto w = Wal::open(f.options, f.clock, f.log);
  REQUIRE_FALSE(w.is_ok());
  CHECK(w.status().message().find("staged below its next seq") != std::string::npos);
}

TEST_CASE("Inbox: a refused append leaves no staged view behind") {
  // A refused append still reads its account's record. Kept as if staged, that record would
  // be read again by a later staging after a direct commit moved the account on, and its seq
  // handed out twice (the reliability suite's FM-07 found this in a first version that kept
  // copies of records: a store that would not open).
  WalFixture f;
  stage_all(f);
  f.options.max_account_bytes = 100;
  AccountId a = f.create("a");
  auto refused = f.append(a, {std::string(200, 'x')});
  REQUIRE_FALSE(refused.is_ok());
  // Not a plain append (it carries an invalid event): the direct path, seq 1.
  auto dead = append_rejected(f, a);
  REQUIRE(dead.is_ok());
  CHECK(dead->rejected == 1);
  auto staged = f.append(a, {"{}"});
  REQUIRE(staged.is_ok());
  CHECK(staged->outcomes[0].seq.value == 2);
  REQUIRE(f.wait_until([&] { return f.record(a).depth == 1; }));
  CHECK(f.record(a).next_seq == 3);
  f.check_consistent();
}

TEST_CASE("Inbox: a full map keeps events staged; settles beside them free the space to move") {
  // Reliability suite FM-07 found the first version's deadlock: a move that hit MAP_FULL
  // failed the store, and the settles that would have freed space waited for the move.
  WalFixture f;
  f.options.map_size = 2 << 20;
  f.options.map_watermark = 1.0;  // let it reach MAP_FULL
  f.options.inbox_min_group = 0;
  AccountId a = f.create("a"), b = f.create("b");
  const std::string big(64 << 10, 'x');
  for (int i = 0; i < 10; ++i) REQUIRE(f.append(a, {big}).is_ok());  // direct, into `events`
  f.close();
  stage_all(f, false);
  uint64_t staged = 0;
  for (int i = 0; i < 100 && f.append(b, {big}).is_ok(); ++i) ++staged;
  REQUIRE(staged > 2);
  REQUIRE(inbox_rows_on_disk(f) == staged);
  // Enqueueing for b needs the move first, which has no room: refused as a full map, and the
  // store has not failed.
  auto refused = append_rejected(f, b);
  REQUIRE_FALSE(refused.is_ok());
  CHECK(refused.status().code() == Status::Code::kUnavailable);
  CHECK(f.wal().writer().health().is_ok());
  CHECK(inbox_rows_on_disk(f) == staged);
  // A restart in that state opens, keeping them staged.
  f.reopen();
  CHECK(f.log.contains("stay staged"));
  CHECK(inbox_rows_on_disk(f) == staged);
  CHECK(f.record(b).depth == 0);
  // Settles and pauses commit beside the staged rows.
  std::vector<uint64_t> seqs;
  for (const auto& e : f.read(a)) seqs.push_back(e.seq.value);
  REQUIRE(seqs.size() == 10);
  REQUIRE(f.settle(a, seqs).is_ok());
  CHECK(f.record(a).depth == 0);
  CHECK(f.wait<Status>([&](auto done) { f.wal().writer().set_paused(b, true, done); }).is_ok());
  // Space freed (LMDB reuses it two commits later): a retrying client gets in.
  Status again = Status::unavailable("not tried");
  for (int attempt = 0; attempt < 20 && !again.is_ok(); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));  // the gate and the retry gap
    again = append_rejected(f, b).status();
  }
  REQUIRE_MESSAGE(again.is_ok(), again.to_string());
  CHECK(inbox_rows_on_disk(f) == 0);
  CHECK(f.record(b).depth == staged);
  CHECK(f.record(b).paused);
  CHECK(f.read(b).size() == staged);
  f.check_consistent();
}

TEST_CASE("Inbox: a format version 3 store, without the table, is refused, then upgraded to 4") {
  WalFixture f;
  AccountId a = f.create("acme");
  REQUIRE(f.append(a, {"q"}).is_ok());
  f.close();
  {
    // What a version-3 build left: no `inbox` table, version 3 in meta.
    auto env = LmdbEnv::open({f.options.dir, f.options.map_size, 16, false});
    REQUIRE(env.is_ok());
    auto txn = WriteTxn::begin((*env)->get());
    REQUIRE(txn.is_ok());
    REQUIRE(mdb_drop(txn->get(), (*env)->tables().inbox, 1) == MDB_SUCCESS);
    REQUIRE(
        txn->put((*env)->tables().meta, codec::kMetaFormatVersion, codec::u32_value(3)).is_ok());
    REQUIRE(txn->commit().is_ok());
    auto check = ReadTxn::begin((*env)->get());
    REQUIRE(check.is_ok());
    MDB_dbi dbi = 0;
    REQUIRE(mdb_dbi_open(check->get(), "inbox", 0, &dbi) == MDB_NOTFOUND);
  }
  auto refused = Wal::open(f.options, f.clock, f.log);
  REQUIRE_FALSE(refused.is_ok());
  CHECK(refused.status().message().find("spillway upgrade") != std::string::npos);
  f.options.upgrade_format = true;
  stage_all(f, false);
  f.open();
  CHECK(f.log.contains("upgrading store format"));
  // The upgraded store stages; a clean stop moves what it staged.
  REQUIRE(f.append(a, payloads("s", 3)).is_ok());
  CHECK(inbox_rows_on_disk(f) == 3);
  f.close();
  f.options.upgrade_format = false;
  f.open();
  CHECK(inbox_rows_on_disk(f) == 0);
  auto got = f.read(a);
  REQUIRE(got.size() == 4);
  CHECK(got[0].payload == "q");
  CHECK(got[3].seq.value == 4);
  f.check_consistent();
}
