#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "queue/lmdb_env.h"
#include "queue/store_check.h"
#include "queue/wal.h"
#include "test/support/capture_logger.h"
#include "test/support/manual_clock.h"
#include "test/support/temp_dir.h"

namespace spillway::test {

// Reports the free disk a test sets instead of statvfs; commits are never failed.
class DiskFaults final : public queue::FaultInjector {
 public:
  int before_commit() override { return 0; }
  int64_t free_disk_bytes() override { return free.load(); }
  std::atomic<int64_t> free{int64_t{1} << 40};
};

// Fixture verbs for queue tests: a store in a temp dir, a manual clock, and synchronous
// wrappers around the writer's asynchronous calls.
class WalFixture {
 public:
  WalFixture() { options.dir = dir.sub("data"); }
  ~WalFixture() { close(); }

  queue::Wal& wal() {
    if (!wal_) open();
    return *wal_;
  }
  void open() {
    auto w = queue::Wal::open(options, clock, log);
    REQUIRE_MESSAGE(w.is_ok(), w.status().to_string());
    wal_ = std::move(*w);
  }
  void close() { wal_.reset(); }
  void reopen() {
    close();
    open();
  }

  template <typename R, typename Call>
  R wait(Call call) {
    std::promise<R> p;
    auto f = p.get_future();
    call([&p](R r) { p.set_value(std::move(r)); });
    return f.get();
  }

  AccountId create(const std::string& name, const std::string& write_key = "") {
    queue::CreateAccountRequest req;
    req.name = name;
    req.credentials.push_back(
        {queue::KeyKind::kWriteKey, write_key.empty() ? "wk-" + name : write_key});
    auto r = wait<Result<AccountId>>([&](auto done) { wal().writer().create_account(req, done); });
    REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
    return *r;
  }

  Result<queue::AppendResult> append(AccountId account, std::vector<std::string> payloads,
                                     std::vector<std::string> keys = {}) {
    queue::AppendRequest req;
    req.account = account;
    req.received_ms = clock.wall_ms();
    for (size_t i = 0; i < payloads.size(); ++i) {
      req.events.push_back({payloads[i], i < keys.size() ? keys[i] : ""});
    }
    return wait<Result<queue::AppendResult>>(
        [&](auto done) { wal().writer().append(std::move(req), done); });
  }

  Status settle(AccountId account, std::vector<uint64_t> seqs,
                std::vector<queue::DeadIn> dead = {}) {
    queue::SettleRequest req{account, {}, std::move(dead)};
    for (uint64_t s : seqs) req.delivered.push_back(Seq{s});
    return wait<Status>([&](auto done) { wal().writer().settle(std::move(req), done); });
  }

  std::vector<queue::StoredEvent> read(AccountId account, uint32_t max = 1000000) {
    auto r = wal().reader().read(account, Seq{0}, max, UINT64_MAX);
    REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
    return *r;
  }

  queue::AccountRecord record(AccountId id) {
    auto r = wal().accounts().get(id);
    REQUIRE(r.has_value());
    return *r;
  }

  // Polls `done` until it holds, for up to 20 s: what the writer thread does between groups
  // (probes, the ingest gate, expiry, replay steps) takes milliseconds, but a loaded machine
  // may not run that thread for a while.
  bool wait_until(const std::function<bool()>& done) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done()) {
      if (std::chrono::steady_clock::now() >= until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

  // Every counter equals a scan, every CRC matches.
  void check_consistent() {
    auto report = queue::check_store(wal().env());
    REQUIRE(report.is_ok());
    for (const auto& p : report->problems) FAIL_CHECK(p);
    CHECK(report->ok());
  }

  TempDir dir;
  ManualClock clock;
  CaptureLogger log;
  queue::WalOptions options;

 private:
  std::unique_ptr<queue::Wal> wal_;
};

}  // namespace spillway::test
