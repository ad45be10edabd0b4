#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/histogram.h"
#include "common/logger.h"
#include "common/status.h"
#include "replay/batch_builder.h"
#include "replay/circuit_breaker.h"
#include "replay/concurrency_limit.h"
#include "replay/downstream.h"
#include "replay/drain_snapshot.h"
#include "replay/drain_stats.h"
#include "replay/rate_limit.h"
#include "replay/replay_options.h"
#include "replay/request_size.h"
#include "replay/retry_reason.h"
#include "replay/scheduler.h"

namespace spillway::queue {
class Wal;
struct CommitSummary;
}  // namespace spillway::queue

namespace spillway::replay {

// The drain engine: delivers each account's queued events to the sink, in order, fairly across
// accounts (Scheduler), at a pace the downstream can take (adaptive concurrency, rate cap,
// circuit breaker, Retry-After), and records each outcome through the writer: delivered events
// are deleted, refused ones moved to dead letters. At-least-once: an event is deleted only
// after the downstream acknowledged it, so a crash in between delivers it again with the same
// account, seq and batch id.
// Threads: all state lives on one strand of the shared io_context; public methods may be
// called from any thread and post to it. Callbacks run on the strand.
// Lifecycle: construct -> start() -> stop(done) -> destroy (after done ran).
class Drainer {
 public:
  Drainer(boost::asio::io_context& io, queue::Wal& wal, Downstream& sink,
          const ReplayOptions& options, const Clock& clock, Logger& logger);
  ~Drainer();
  Drainer(const Drainer&) = delete;
  Drainer& operator=(const Drainer&) = delete;

  // Loads accounts and the durable pause and limits, subscribes to commits, starts draining.
  Status start();
  // Stops dispatching; waits (at most options.stop_timeout) for requests in flight and the
  // records of their outcome; then runs `done`.
  void stop(std::function<void()> done);

  // Durable global pause/resume: recorded in the store first, applied once committed; `actor`
  // is logged for the audit trail. Per-account pause goes through the writer directly
  // (WalWriter::set_paused); the drainer follows the account table.
  void set_paused(bool paused, std::string actor, std::function<void(Status)> done);
  // Durable drain limits: events/s cap (0 = none) and the concurrency ceiling (>= 1).
  void set_limits(double max_events_per_sec, uint32_t max_concurrency, std::string actor,
                  std::function<void(Status)> done);
  // The engine's current view, computed on the strand (cached for up to 1 s).
  void snapshot(std::function<void(const DrainSnapshot&)> done);

 private:
  void on_commit(std::vector<AccountId> changed);
  void sync_account(AccountId id);
  void pump();
  Flight* build_next(std::chrono::steady_clock::time_point now);
  bool gates_open(std::chrono::steady_clock::time_point now);
  void send(Flight& flight);
  void on_result(uint64_t flight_id, DeliveryResult result);
  void on_accepted(Flight& flight, const DeliveryResult& result);
  void on_retryable(Flight& flight, const DeliveryResult& result);
  void on_rejected(Flight& flight, const DeliveryResult& result);
  void finalize(Flight& flight);
  void on_settled(uint64_t flight_id);
  void arm_wake(std::chrono::steady_clock::time_point at);
  void tick();
  void maybe_finish_stop();
  DrainSnapshot build_snapshot();
  std::string state_name();
  void apply_limits(double max_events_per_sec, uint32_t max_concurrency);

  // Every asynchronous operation that will call back into this object is counted in
  // outstanding_ (a gate, as in Seastar): stop() completes only when it is zero, so no queued
  // handler can run on a destroyed Drainer. post_counted() posts fn to the strand; counted()
  // wraps a timer handler.
  template <typename Fn>
  void post_counted(Fn fn) {
    outstanding_.fetch_add(1);
    boost::asio::post(strand_, [this, fn = std::move(fn)]() mutable {
      outstanding_.fetch_sub(1);
      fn();
    });
  }
  template <typename Fn>
  auto counted(Fn fn) {
    outstanding_.fetch_add(1);
    return [this, fn = std::move(fn)](boost::system::error_code ec) mutable {
      outstanding_.fetch_sub(1);
      fn(ec);
    };
  }

  boost::asio::io_context& io_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  queue::Wal& wal_;
  Downstream& sink_;
  ReplayOptions options_;
  const Clock& clock_;
  Logger& log_;
  std::unique_ptr<Scheduler> scheduler_;
  BatchBuilder builder_;
  ConcurrencyLimit limit_;
  RequestSize size_;
  CircuitBreaker breaker_;
  RateLimit rate_;
  DrainStats stats_;
  boost::asio::steady_timer wake_;
  boost::asio::steady_timer ticker_;
  std::chrono::steady_clock::time_point wake_at_{};
  std::chrono::steady_clock::time_point hold_until_{};  // Retry-After from the sink
  std::map<uint64_t, std::unique_ptr<Flight>> flights_;
  std::deque<uint64_t> ready_;  // flights waiting to (re)send, front first
  uint64_t next_flight_id_ = 1;
  uint64_t retries_ = 0, dead_lettered_ = 0, batches_ = 0;
  std::array<uint64_t, kRetryReasons> retries_by_reason_{};
  Histogram delivery_latency_{Histogram::latency_seconds()};
  bool started_ = false;
  bool stopping_ = false;
  bool stopped_ = false;
  std::atomic<int64_t> outstanding_{0};
  std::function<void()> stop_done_;
  std::unique_ptr<boost::asio::steady_timer> stop_timer_;
  std::optional<DrainSnapshot> cached_;
  std::chrono::steady_clock::time_point cached_at_{};
};

}  // namespace spillway::replay
