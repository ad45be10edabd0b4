#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <thread>

#include "test/queue/wal_fixture.h"

using namespace spillway;
using namespace spillway::queue;
using spillway::test::DiskFaults;
using spillway::test::WalFixture;

namespace {

std::vector<uint64_t> seqs_of(const std::vector<StoredEvent>& events) {
  std::vector<uint64_t> out;
  for (const auto& e : events) out.push_back(e.seq.value);
  return out;
}

// The ingest gate re-reads free disk, map use and free pages at most every 100 ms; after this
// long, the next group's gate has read what the test set (it does so before the group).
void wait_for_gate() { std::this_thread::sleep_for(std::chrono::milliseconds(250)); }

}  // namespace

TEST_CASE("WalWriter: an account over its byte quota gets ResourceExhausted, others do not") {
  WalFixture f;
  f.options.max_account_bytes = 1000;
  AccountId a = f.create("big");
  AccountId b = f.create("small");
  REQUIRE(f.append(a, {std::string(600, 'x')}).is_ok());
  auto refused = f.append(a, {std::string(600, 'y')});
  CHECK(refused.status().code() == Status::Code::kResourceExhausted);
  CHECK(refused.status().message().find("big") != std::string::npos);
  CHECK(f.append(b, {std::string(600, 'z')}).is_ok());
  REQUIRE(f.settle(a, seqs_of(f.read(a))).is_ok());  // draining frees the quota
  CHECK(f.append(a, {std::string(600, 'y')}).is_ok());
  f.check_consistent();
}

TEST_CASE("WalWriter: the global byte quota refuses with Unavailable until drained") {
  WalFixture f;
  f.options.max_total_bytes = 2000;
  AccountId a = f.create("a");
  AccountId b = f.create("b");
  REQUIRE(f.append(a, {std::string(1500, 'x')}).is_ok());
  auto refused = f.append(b, {std::string(600, 'y')});
  CHECK(refused.status().code() == Status::Code::kUnavailable);
  CHECK(refused.status().message().find("global") != std::string::npos);
  REQUIRE(f.settle(a, seqs_of(f.read(a))).is_ok());
  CHECK(f.append(b, {std::string(600, 'y')}).is_ok());
}

TEST_CASE("WalWriter: low free disk refuses ingest, settles still work, ingest resumes") {
  WalFixture f;
  DiskFaults faults;
  f.options.faults = &faults;
  f.options.min_free_disk_bytes = 1 << 20;
  AccountId a = f.create("acme");
  REQUIRE(f.append(a, {"{1}", "{2}"}).is_ok());
  faults.free = 1000;
  // The flag is set by the writer thread's own loop (it wakes every 100 ms when idle), which a
  // loaded machine may run late: wait for it rather than for a fixed time.
  CHECK(f.wait_until([&] { return f.wal().writer().ingest_refused(); }));
  auto refused = f.append(a, {"{3}"});
  CHECK(refused.status().code() == Status::Code::kUnavailable);
  CHECK(refused.status().message().find("disk") != std::string::npos);
  CHECK(f.settle(a, {1}).is_ok());
  CHECK(f.log.contains("refusing ingest"));
  faults.free = int64_t{1} << 40;
  wait_for_gate();
  CHECK(f.append(a, {"{3}"}).is_ok());
  CHECK(f.log.contains("accepting ingest again"));
}

// Regression (reliability suite FM-06): the data file never shrinks, so after a disk-full
// episode statvfs stayed below the reserve and ingest was refused for good, although draining
// had freed the pages the next appends reuse.
TEST_CASE("WalWriter: pages freed by settles count as free disk, so ingest resumes") {
  WalFixture f;
  DiskFaults faults;
  f.options.faults = &faults;
  f.options.min_free_disk_bytes = 256 << 10;
  AccountId a = f.create("acme");
  for (int i = 0; i < 40; ++i) REQUIRE(f.append(a, {std::string(80 << 10, 'x')}).is_ok());
  REQUIRE(f.settle(a, seqs_of(f.read(a))).is_ok());
  REQUIRE(f.append(a, {"{}"}).is_ok());  // one more commit: the freed pages are reusable
  faults.free = 1000;
  wait_for_gate();
  CHECK_FALSE(f.wal().writer().ingest_refused());
  CHECK(f.append(a, {"{1}"}).is_ok());
}

// A filesystem of fixed capacity holding only the data file: what a small tmpfs does, with
// no statvfs in between. The gate must see the file's growth between its statvfs reads.
class SmallDisk final : public FaultInjector {
 public:
  SmallDisk(std::string data_file, int64_t capacity)
      : file_(std::move(data_file)), cap_(capacity) {}
  int before_commit() override { return 0; }
  int64_t free_disk_bytes() override {
    std::error_code ec;
    auto size = static_cast<int64_t>(std::filesystem::file_size(file_, ec));
    return std::max<int64_t>(0, cap_ - (ec ? 0 : size));
  }

 private:
  std::string file_;
  int64_t cap_;
};

// Regression (reliability suite FM-06 in CI): statvfs was read every 100 ms only, and ingest
// on a fast disk went through a 12 MiB reserve in one gap, so a commit failed with EIO.
TEST_CASE("WalWriter: the disk reserve holds between statvfs reads, one commit at a time") {
  WalFixture f;
  const int64_t reserve = 4 << 20;
  auto disk = std::make_unique<SmallDisk>(f.options.dir + "/data.mdb", reserve + (3 << 20));
  f.options.faults = disk.get();
  f.options.min_free_disk_bytes = reserve;
  AccountId a = f.create("acme");
  int stored = 0;
  Status refused;
  for (int i = 0; i < 200 && refused.is_ok(); ++i) {
    auto r = f.append(a, {std::string(64 << 10, 'x')});  // one 64 KiB event per commit
    if (r.is_ok()) stored += 1;
    refused = r.status();
  }
  CHECK(refused.code() == Status::Code::kUnavailable);
  CHECK(refused.message().find("disk") != std::string::npos);
  // 3 MiB above the reserve holds at most 48 such events; the gate closes 1.25 MiB before it.
  CHECK(stored >= 12);
  CHECK(disk->free_disk_bytes() >= reserve);
  CHECK(f.wal().writer().ingest_refused());
  CHECK(f.settle(a, {1}).is_ok());  // deletes still commit from the reserve
}

TEST_CASE("WalWriter: one request larger than the room above the reserve is refused alone") {
  WalFixture f;
  DiskFaults faults;
  f.options.faults = &faults;
  f.options.min_free_disk_bytes = 1 << 20;
  faults.free = (1 << 20) + (2 << 20);  // 2 MiB above the reserve, constant
  AccountId a = f.create("acme");
  auto big = f.append(a, {std::string(1 << 20, 'x'), std::string(1 << 20, 'y')});
  CHECK(big.status().code() == Status::Code::kUnavailable);
  CHECK(big.status().message().find("disk") != std::string::npos);
  CHECK_FALSE(f.wal().writer().ingest_refused());
  CHECK(f.append(a, {std::string(64 << 10, 'z')}).is_ok());
  CHECK(f.read(a).size() == 1);
  f.check_consistent();
}

TEST_CASE("WalWriter: the map watermark refuses ingest before the map is full") {
  WalFixture f;
  f.options.map_size = 4 << 20;
  f.options.map_watermark = 0.5;
  AccountId a = f.create("acme");
  Status last;
  int stored = 0;
  for (int i = 0; i < 200 && last.is_ok(); ++i) {
    auto r = f.append(a, {std::string(32 << 10, 'x')});
    last = r.status();
    if (r.is_ok()) ++stored;
    if (i % 8 == 7) wait_for_gate();
  }
  CHECK(last.code() == Status::Code::kUnavailable);
  CHECK(stored > 10);
  CHECK(stored < 100);  // refused near half of a 4 MiB map, never at MAP_FULL
  REQUIRE(f.settle(a, seqs_of(f.read(a))).is_ok());
  wait_for_gate();
  CHECK(f.append(a, {std::string(32 << 10, 'x')}).is_ok());
  f.check_consistent();
}

TEST_CASE("WalWriter: MAP_FULL fails the appends only and settles in the same group commit") {
  WalFixture f;
  f.options.map_size = 2 << 20;
  f.options.map_watermark = 1.0;  // let it reach MAP_FULL
  AccountId a = f.create("acme");
  Status last;
  for (int i = 0; i < 200 && last.is_ok(); ++i)
    last = f.append(a, {std::string(64 << 10, 'x')}).status();
  CHECK(last.code() == Status::Code::kUnavailable);
  CHECK(f.wal().writer().health().is_ok());  // a full map is not a storage failure
  REQUIRE(f.settle(a, seqs_of(f.read(a))).is_ok());
  // LMDB reuses pages freed by a commit only two commits later, so a client retrying gets in
  // after a few attempts, as it would in production.
  Status again;
  for (int attempt = 0; attempt < 5; ++attempt) {
    wait_for_gate();
    again = f.append(a, {std::string(64 << 10, 'x')}).status();
    if (again.is_ok()) break;
  }
  CHECK_MESSAGE(again.is_ok(), again.to_string());
  f.check_consistent();
}

TEST_CASE("WalWriter: a full write queue refuses appends at once") {
  WalFixture f;
  f.options.max_pending_appends = 1;
  f.options.max_group_ops = 1;
  AccountId a = f.create("acme");
  std::atomic<int> unavailable{0}, ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto r = f.append(a, {"{}"});
        (r.is_ok() ? ok : unavailable) +=
            r.is_ok() || r.status().code() == Status::Code::kUnavailable;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok + unavailable == 400);
  CHECK(unavailable > 0);
  CHECK(f.wal().writer().stats().queue_full_rejections ==
        static_cast<uint64_t>(unavailable.load()));
  CHECK(f.record(a).depth == static_cast<uint64_t>(ok.load()));
}
