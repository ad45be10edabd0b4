// Retention of delivered events (queue/retain/): kept at settle, expired by age, budget and
// disk, consistent across reopen.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>

#include "queue/lmdb_txn.h"
#include "queue/record_codec.h"
#include "queue/retain/retained_reader.h"
#include "test/queue/wal_fixture.h"

using namespace spillway;
using namespace spillway::queue;
using spillway::test::DiskFaults;
using spillway::test::WalFixture;

namespace {

struct RetainFixture : WalFixture {
  RetainFixture() { options.retain_delivered = std::chrono::hours(1); }

  std::vector<retain::RetainedEvent> retained() {
    auto r = retain::RetainedReader(wal().env()).read(0, 1000000);
    REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
    return *r;
  }
  retain::RetainedStats stats() { return wal().writer().retained_stats(); }
  void deliver(AccountId a, std::vector<std::string> payloads) {
    auto r = append(a, std::move(payloads));
    REQUIRE(r.is_ok());
    std::vector<uint64_t> seqs;
    for (const auto& o : r->outcomes) seqs.push_back(o.seq.value);
    REQUIRE(settle(a, seqs).is_ok());
  }
};

}  // namespace

TEST_CASE(
    "RetainedLog: a settle keeps its delivered events in delivery order, with seq and times") {
  RetainFixture f;
  AccountId a = f.create("acme"), b = f.create("beta");
  const int64_t received = f.clock.wall_ms();
  REQUIRE(f.append(a, {"a1", "a2", "a3"}).is_ok());
  REQUIRE(f.append(b, {"b1"}).is_ok());
  f.clock.advance(std::chrono::seconds(5));
  REQUIRE(f.settle(b, {1}).is_ok());
  REQUIRE(f.settle(a, {1, 2}).is_ok());
  auto kept = f.retained();
  REQUIRE(kept.size() == 3);
  CHECK(kept[0].account == b);
  CHECK(kept[0].payload == "b1");
  CHECK(kept[1].payload == "a1");
  CHECK(kept[1].seq == Seq{1});
  CHECK(kept[2].seq == Seq{2});
  CHECK(kept[2].received_ms == received);
  CHECK(kept[2].delivered_ms == received + 5000);
  CHECK(f.read(a).size() == 1);  // a3 still queued, not retained
  CHECK(f.stats().events == 3);
  CHECK(f.stats().bytes == 6);
  CHECK(f.stats().oldest_delivered_ms == received + 5000);
  f.check_consistent();
}

TEST_CASE("RetainedLog: dead letters and repeated settles are not retained") {
  RetainFixture f;
  AccountId a = f.create("acme");
  REQUIRE(f.append(a, {"ok", "bad"}).is_ok());
  REQUIRE(f.settle(a, {1}, {DeadIn{Seq{2}, "rejected", 1}}).is_ok());
  REQUIRE(f.settle(a, {1}).is_ok());
  auto kept = f.retained();
  REQUIRE(kept.size() == 1);
  CHECK(kept[0].payload == "ok");
  f.check_consistent();
}

TEST_CASE("RetainedLog: off by default, nothing is kept") {
  WalFixture f;
  AccountId a = f.create("acme");
  REQUIRE(f.append(a, {"x"}).is_ok());
  REQUIRE(f.settle(a, {1}).is_ok());
  CHECK(retain::RetainedReader(f.wal().env()).read(0, 10)->empty());
  CHECK(f.wal().writer().retained_stats().events == 0);
}

TEST_CASE("RetainedLog: events expire by age after their delivery, oldest first") {
  RetainFixture f;
  f.options.retain_delivered = std::chrono::seconds(60);
  AccountId a = f.create("acme");
  f.deliver(a, {"old1", "old2"});
  f.clock.advance(std::chrono::seconds(30));
  f.deliver(a, {"new"});
  f.clock.advance(std::chrono::seconds(31));
  REQUIRE(f.wait_until([&] { return f.stats().events == 1; }));
  CHECK(f.retained().at(0).payload == "new");
  CHECK(f.stats().expired == 2);
  f.clock.advance(std::chrono::seconds(30));
  REQUIRE(f.wait_until([&] { return f.stats().events == 0; }));
  CHECK(f.stats().oldest_delivered_ms == 0);
  f.check_consistent();
}

TEST_CASE("RetainedLog: over the byte budget the oldest go first, with a log line") {
  RetainFixture f;
  f.options.retain_max_bytes = 100;
  AccountId a = f.create("acme");
  for (int i = 0; i < 10; ++i) f.deliver(a, {std::string(30, static_cast<char>('a' + i))});
  REQUIRE(f.wait_until([&] { return f.stats().bytes <= 100; }));
  auto kept = f.retained();
  REQUIRE(kept.size() == 3);
  CHECK(kept.back().payload == std::string(30, 'j'));
  CHECK(f.stats().dropped_budget == 7);
  CHECK(f.log.contains("retained bytes over budget"));
  f.check_consistent();
}

TEST_CASE("RetainedLog: totals and order survive a reopen; turning retention off empties it") {
  RetainFixture f;
  AccountId a = f.create("acme");
  f.deliver(a, {"1", "2"});
  f.reopen();
  CHECK(f.stats().events == 2);
  f.deliver(a, {"3"});
  auto kept = f.retained();
  REQUIRE(kept.size() == 3);
  CHECK(kept[0].id < kept[1].id);
  CHECK(kept[1].id < kept[2].id);
  CHECK(kept[2].payload == "3");
  f.check_consistent();
  f.options.retain_delivered = std::chrono::milliseconds(0);
  f.reopen();
  REQUIRE(f.wait_until([&] { return f.stats().events == 0; }));
  f.check_consistent();
}

TEST_CASE("RetainedLog: with the disk short, nothing new is kept and the oldest go (ingest wins)") {
  RetainFixture f;
  DiskFaults faults;
  f.options.faults = &faults;
  f.options.min_free_disk_bytes = 64 << 20;
  AccountId a = f.create("acme");
  f.deliver(a, {"kept1", "kept2"});
  faults.free = (64 << 20) + (32 << 20);  // above the reserve, but less than another reserve
  REQUIRE(f.wait_until([&] { return f.stats().shedding; }));
  REQUIRE(f.append(a, {"live"}).is_ok());  // ingest still open
  REQUIRE(f.settle(a, {3}).is_ok());
  REQUIRE(f.wait_until([&] { return f.stats().events == 0; }));
  CHECK(f.stats().dropped_disk == 2);
  CHECK(f.stats().not_kept == 1);
  CHECK(f.log.contains("disk short"));
  faults.free = int64_t{1} << 40;
  REQUIRE(f.wait_until([&] { return !f.stats().shedding; }));
  f.deliver(a, {"again"});
  CHECK(f.retained().size() == 1);
  f.check_consistent();
}

TEST_CASE("RetainedReader: finds the first event delivered at or after a time by bisection") {
  RetainFixture f;
  AccountId a = f.create("acme");
  const int64_t t0 = f.clock.wall_ms();
  for (int i = 0; i < 20; ++i) {
    f.deliver(a, {"e" + std::to_string(i)});
    f.clock.advance(std::chrono::seconds(10));
  }
  retain::RetainedReader reader(f.wal().env());
  auto ids = f.retained();
  CHECK(*reader.first_delivered_at(0) == ids.front().id);
  CHECK(*reader.first_delivered_at(t0 + 55'000) == ids[6].id);
  CHECK(*reader.first_delivered_at(t0 + 60'000) == ids[6].id);
  CHECK(*reader.first_delivered_at(t0 + 10'000'000) == ids.back().id + 1);
}

TEST_CASE("Wal: a format version 2 store is refused, then upgraded to 3 by `spillway upgrade`") {
  WalFixture f;
  AccountId a = f.create("acme");
  REQUIRE(f.append(a, {"q"}).is_ok());
  f.close();
  {
    auto env = LmdbEnv::open({f.options.dir, f.options.map_size, f.options.max_readers, false});
    REQUIRE(env.is_ok());
    auto txn = WriteTxn::begin((*env)->get());
    REQUIRE(txn.is_ok());
    REQUIRE(
        txn->put((*env)->tables().meta, codec::kMetaFormatVersion, codec::u32_value(2)).is_ok());
    REQUIRE(txn->commit().is_ok());
  }
  auto refused = Wal::open(f.options, f.clock, f.log);
  REQUIRE_FALSE(refused.is_ok());
  CHECK(refused.status().message().find("spillway upgrade") != std::string::npos);
  f.options.upgrade_format = true;
  f.open();
  CHECK(f.read(a).size() == 1);
  f.close();
  f.options.upgrade_format = false;
  f.open();
  f.check_consistent();
}
