#include <doctest/doctest.h>

#include <atomic>
#include <cerrno>
#include <thread>

#include "test/queue/wal_fixture.h"

using namespace spillway;
using namespace spillway::queue;
using spillway::test::WalFixture;

namespace {
class CommitFaults final : public FaultInjector {
 public:
  int before_commit() override { return failing.load() ? EIO : 0; }
  std::atomic<bool> failing{false};
};
}  // namespace

TEST_CASE("WalWriter: a failed commit is sticky and nothing of it is stored") {
  WalFixture f;
  CommitFaults faults;
  f.options.faults = &faults;
  f.options.recovery_probe_interval = std::chrono::hours(1);
  AccountId a = f.create("acme");
  REQUIRE(f.append(a, {"{ok}"}).is_ok());
  faults.failing = true;
  auto failed = f.append(a, {"{lost}"});
  CHECK(failed.status().code() == Status::Code::kUnavailable);
  CHECK(failed.status().message().find("Input/output error") != std::string::npos);
  faults.failing = false;
  auto after = f.append(a, {"{later}"});  // still refused: no probe has run
  CHECK(after.status() == f.wal().writer().health());
  CHECK_FALSE(f.wal().writer().health().is_ok());
  CHECK(f.settle(a, {1}).code() == Status::Code::kUnavailable);
  CHECK(f.log.contains("commit failed"));
  f.reopen();  // a restart clears the failure; the store holds exactly what committed
  auto events = f.read(a);
  REQUIRE(events.size() == 1);
  CHECK(events[0].payload == "{ok}");
  CHECK(f.append(a, {"{after restart}"}).is_ok());
  f.check_consistent();
}

TEST_CASE("WalWriter: writes resume after a successful probe commit") {
  WalFixture f;
  CommitFaults faults;
  f.options.faults = &faults;
  f.options.recovery_probe_interval = std::chrono::milliseconds(50);
  AccountId a = f.create("acme");
  faults.failing = true;
  CHECK_FALSE(f.append(a, {"{1}"}).is_ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK_FALSE(f.wal().writer().health().is_ok());  // probes fail while the fault lasts
  faults.failing = false;
  // A probe every 50 ms, but it is a commit (an fsync) on the writer thread: wait for it.
  CHECK(f.wait_until([&] { return f.wal().writer().health().is_ok(); }));
  CHECK(f.append(a, {"{2}"}).is_ok());
  CHECK(f.log.contains("storage recovered"));
  auto events = f.read(a);
  REQUIRE(events.size() == 1);
  CHECK(events[0].payload == "{2}");
}

TEST_CASE("WalWriter: a failed commit does not advance the in-memory counters") {
  WalFixture f;
  CommitFaults faults;
  f.options.faults = &faults;
  AccountId a = f.create("acme");
  REQUIRE(f.append(a, {"{1}"}).is_ok());
  auto before = f.record(a);
  faults.failing = true;
  CHECK_FALSE(f.append(a, {"{2}", "{3}"}).is_ok());
  CHECK(f.record(a) == before);
}
