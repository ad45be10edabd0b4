#include <doctest/doctest.h>

#include "queue/lmdb_txn.h"
#include "queue/record_codec.h"
#include "test/queue/wal_fixture.h"

using namespace spillway;
using namespace spillway::queue;
using spillway::test::WalFixture;

TEST_CASE("Wal: a second open of a locked data directory fails with a clear message") {
  WalFixture f;
  f.wal();
  auto second = Wal::open(f.options, f.clock, f.log);
  REQUIRE_FALSE(second.is_ok());
  CHECK(second.status().code() == Status::Code::kUnavailable);
  CHECK(second.status().message().find(f.options.dir) != std::string::npos);
  CHECK(second.status().message().find("locked by another spillway process") != std::string::npos);
}

TEST_CASE("Wal: the lock is released on close, so a restart can open the directory") {
  WalFixture f;
  f.wal();
  f.close();
  auto again = Wal::open(f.options, f.clock, f.log);
  CHECK(again.is_ok());
}

TEST_CASE("Wal: accounts, credentials, pause and weight survive a reopen") {
  WalFixture f;
  AccountId a = f.create("acme", "key-a");
  f.create("globex", "key-g");
  REQUIRE(f.wait<Status>([&](auto d) { f.wal().writer().set_paused(a, true, d); }).is_ok());
  REQUIRE(f.wait<Status>([&](auto d) { f.wal().writer().set_weight(a, 5, d); }).is_ok());
  REQUIRE(f.append(a, {"{}", "{}"}).is_ok());
  f.reopen();
  auto rec = f.record(a);
  CHECK(rec.paused);
  CHECK(rec.weight == 5);
  CHECK(rec.depth == 2);
  CHECK(rec.next_seq == 3);
  CHECK(f.wal().accounts().find("globex").has_value());
  auto found = f.wal().reader().lookup_credential(KeyKind::kWriteKey, "key-a");
  REQUIRE(found.is_ok());
  CHECK(*found == a);
  AccountId c = f.create("initech");
  CHECK(c.value == 3);  // the id counter survived the reopen
}

TEST_CASE("Wal: an unknown format version refuses to open") {
  WalFixture f;
  f.wal();
  f.close();
  {
    auto env = LmdbEnv::open({f.options.dir, f.options.map_size, 16, false});
    REQUIRE(env.is_ok());
    auto txn = WriteTxn::begin((*env)->get());
    REQUIRE(txn.is_ok());
    REQUIRE(
        txn->put((*env)->tables().meta, codec::kMetaFormatVersion, codec::u32_value(99)).is_ok());
    REQUIRE(txn->commit().is_ok());
  }
  auto w = Wal::open(f.options, f.clock, f.log);
  REQUIRE_FALSE(w.is_ok());
  CHECK(w.status().code() == Status::Code::kCorruption);
  CHECK(w.status().message().find("format version 99") != std::string::npos);
}

TEST_CASE("BacklogReader: a corrupted event byte is reported as corruption for that event") {
  WalFixture f;
  AccountId a = f.create("acme");
  REQUIRE(f.append(a, {R"({"n":1})", R"({"n":2})"}).is_ok());
  f.close();
  {
    // Flip one payload byte behind the codec's back, as a bad disk would.
    auto env = LmdbEnv::open({f.options.dir, f.options.map_size, 16, false});
    REQUIRE(env.is_ok());
    auto txn = WriteTxn::begin((*env)->get());
    REQUIRE(txn.is_ok());
    std::string key = codec::event_key(a, Seq{2});
    auto v = txn->find((*env)->tables().events, key);
    REQUIRE((v.is_ok() && v->has_value()));
    std::string damaged(**v);
    damaged[codec::kEventHeaderSize + 2] ^= 0x04;
    REQUIRE(txn->put((*env)->tables().events, key, damaged).is_ok());
    REQUIRE(txn->commit().is_ok());
  }
  f.open();
  auto before = f.wal().reader().read(a, Seq{0}, 10, UINT64_MAX);
  REQUIRE(before.is_ok());  // the intact event before it is delivered, the read stops there
  REQUIRE(before->size() == 1);
  CHECK(before->front().seq == Seq{1});
  auto r = f.wal().reader().read(a, Seq{2}, 10, UINT64_MAX);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().code() == Status::Code::kCorruption);
  CHECK(r.status().message().find("seq 2") != std::string::npos);
  auto damaged = f.wal().reader().first_seq(a);
  REQUIRE(damaged.is_ok());
  CHECK(*damaged == std::optional<Seq>(Seq{1}));
  auto report = check_store(f.wal().env());
  REQUIRE(report.is_ok());
  CHECK(report->problems.size() == 1);
}

TEST_CASE("Wal: the environment is opened with durable flags only") {
  WalFixture f;
  CHECK(f.wal().env().check_durable_flags().is_ok());
  unsigned flags = 0;
  mdb_env_get_flags(f.wal().env().get(), &flags);
  CHECK((flags & MDB_NOTLS) != 0);
  CHECK((flags & (MDB_NOSYNC | MDB_NOMETASYNC | MDB_MAPASYNC | MDB_WRITEMAP)) == 0);
}
