#pragma once

#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "queue/store_check.h"
#include "queue/wal.h"
#include "replay/drainer.h"
#include "test/support/capture_logger.h"
#include "test/support/temp_dir.h"

namespace spillway::test {

// An in-process downstream: a test-supplied policy answers each batch (after `latency` plus
// `per_event` per event), and
// every accepted item is recorded in delivery order.
class FakeSink final : public replay::Downstream {
 public:
  using Policy = std::function<replay::DeliveryResult(const replay::DeliveryBatch&)>;
  explicit FakeSink(boost::asio::io_context& io) : io_(io) {}

  void deliver(std::shared_ptr<const replay::DeliveryBatch> batch, Done done) override {
    replay::DeliveryResult r;
    {
      std::lock_guard<std::mutex> lock(mu_);
      Attempt a{batch->batch_id, batch->items.size(), std::chrono::steady_clock::now(), {}};
      for (const auto& item : batch->items) {
        if (a.accounts.empty() || a.accounts.back() != item.account)
          a.accounts.push_back(item.account);
      }
      attempts.push_back(std::move(a));
      if (policy) {
        r = policy(*batch);
      } else {
        r.kind = replay::DeliveryResult::Kind::kAccepted;
        r.http_status = 200;
      }
      if (r.kind == replay::DeliveryResult::Kind::kAccepted) {
        for (const auto& item : batch->items) delivered.push_back(item);
      }
    }
    auto timer = std::make_shared<boost::asio::steady_timer>(
        io_, latency + per_event * static_cast<int64_t>(batch->items.size()));
    timer->async_wait([timer, done = std::move(done), r](boost::system::error_code) { done(r); });
  }
  void stop() override {}

  std::vector<replay::DeliveryItem> snapshot() {
    std::lock_guard<std::mutex> lock(mu_);
    return delivered;
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return delivered.size();
  }

  struct Attempt {
    std::string batch_id;
    size_t items;
    std::chrono::steady_clock::time_point at;
    std::vector<AccountId> accounts;  // of its items, in order (an account's items are together)
  };
  std::mutex mu_;
  // Guarded by mu_.
  Policy policy;
  std::vector<replay::DeliveryItem> delivered;
  std::vector<Attempt> attempts;
  std::chrono::milliseconds latency{1};
  std::chrono::microseconds per_event{0};  // added to the latency for each event of a batch

 private:
  boost::asio::io_context& io_;
};

// A store, an io_context on two threads, a fake sink and a drainer over them.
class DrainerFixture {
 public:
  DrainerFixture() {
    wal_options.dir = dir.sub("data");
    replay_options.seed = 42;
    replay_options.retry.base = std::chrono::milliseconds(5);
    replay_options.retry.cap = std::chrono::milliseconds(50);
    replay_options.breaker.backoff.base = std::chrono::milliseconds(5);
    replay_options.breaker.backoff.cap = std::chrono::milliseconds(50);
    open_wal();
  }
  ~DrainerFixture() { shutdown(); }

  void open_wal() {
    auto w = queue::Wal::open(wal_options, clock, log);
    REQUIRE_MESSAGE(w.is_ok(), w.status().to_string());
    wal = std::move(*w);
  }
  void start() {
    work.emplace(io.get_executor());
    for (int i = 0; i < 2; ++i) threads.emplace_back([this] { io.run(); });
    drainer = std::make_unique<replay::Drainer>(io, *wal, sink, replay_options, clock, log);
    REQUIRE(drainer->start().is_ok());
  }
  void shutdown() {
    if (drainer) {
      std::promise<void> p;
      drainer->stop([&p] { p.set_value(); });
      p.get_future().wait();
      drainer.reset();
    }
    work.reset();
    io.stop();
    for (auto& t : threads) t.join();
    threads.clear();
  }

  AccountId create(const std::string& name) {
    std::promise<Result<AccountId>> p;
    wal->writer().create_account({name, {}, 1}, [&p](Result<AccountId> r) { p.set_value(r); });
    auto r = p.get_future().get();
    REQUIRE(r.is_ok());
    return *r;
  }
  void append(AccountId a, const std::vector<std::string>& payloads) {
    queue::AppendRequest req;
    req.account = a;
    for (const auto& p : payloads) req.events.push_back({p, ""});
    std::promise<Result<queue::AppendResult>> p;
    wal->writer().append(req, [&p](Result<queue::AppendResult> r) { p.set_value(r); });
    REQUIRE(p.get_future().get().is_ok());
  }
  // Appends n events "<name>-<i>" to the account.
  void fill(AccountId a, const std::string& name, int n, int from = 0) {
    std::vector<std::string> batch;
    for (int i = from; i < from + n; ++i)
      batch.push_back("\"" + name + "-" + std::to_string(i) + "\"");
    append(a, batch);
  }
  // Waits until `pred` holds (polling), at most `limit`.
  bool eventually(const std::function<bool()>& pred,
                  std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return pred();
  }
  uint64_t total_depth() { return wal->accounts().totals().depth; }
  replay::DrainSnapshot snapshot() {
    std::promise<replay::DrainSnapshot> p;
    drainer->snapshot([&p](const replay::DrainSnapshot& s) { p.set_value(s); });
    return p.get_future().get();
  }
  void check_store() {
    auto report = queue::check_store(wal->env());
    REQUIRE(report.is_ok());
    for (const auto& p : report->problems) FAIL_CHECK(p);
  }

  TempDir dir;
  SystemClock clock;
  CaptureLogger log;
  queue::WalOptions wal_options;
  replay::ReplayOptions replay_options;
  std::unique_ptr<queue::Wal> wal;
  boost::asio::io_context io;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  FakeSink sink{io};
  std::unique_ptr<replay::Drainer> drainer;
};

}  // namespace spillway::test
