#pragma once

#include <chrono>
#include <cstdint>

namespace spillway::replay {

struct ConcurrencyOptions {
  // Bounds of the in-flight request limit. Defaults 1 and 64. The limit starts at min_limit:
  // a recovering downstream is probed gently and earns each extra request.
  uint32_t min_limit = 1;
  uint32_t max_limit = 64;
  // A success is "good" when its latency is at most latency_factor × the baseline. Default 2.
  double latency_factor = 2.0;
  // Multiplicative decrease on a failure or a latency jump. Default 0.5.
  double decrease_factor = 0.5;
  // Weight of a new sample when the baseline moves up (it moves down at once). Default 0.05:
  // the baseline follows a downstream that became permanently slower, within tens of requests.
  double baseline_alpha = 0.05;
};

// Adaptive limit on in-flight downstream requests (AIMD, as TCP congestion control): +1 after a
// window of `limit` consecutive good successes, × decrease_factor on an error, timeout, 429 or a
// success slower than latency_factor × baseline, where the baseline is a min-biased EWMA of
// latency. Only one decrease per episode: requests sent before a decrease that fail afterwards
// (the same overload, seen k times at concurrency k) do not decrease again.
// Thread affinity: the drainer's strand; not thread-safe. Not copyable.
class ConcurrencyLimit {
 public:
  using Ticket = uint64_t;

  explicit ConcurrencyLimit(ConcurrencyOptions options = {});
  ConcurrencyLimit(const ConcurrencyLimit&) = delete;
  ConcurrencyLimit& operator=(const ConcurrencyLimit&) = delete;

  bool can_send() const { return in_flight_ < limit_; }
  // A request was sent; pass the ticket to exactly one on_success()/on_failure().
  Ticket on_send();
  void on_success(Ticket ticket, std::chrono::microseconds latency);
  // An error, timeout or 429 (including a breaker probe that failed).
  void on_failure(Ticket ticket);
  // Back to min_limit with a fresh window (after the circuit breaker closes). Keeps the baseline.
  void reset();
  // New bounds (PUT /v1/drain/limits); the current limit is clamped into them.
  void set_bounds(uint32_t min_limit, uint32_t max_limit);

  uint32_t limit() const { return limit_; }
  uint32_t in_flight() const { return in_flight_; }
  // Zero until the first success.
  std::chrono::microseconds baseline() const;

 private:
  void finish();
  void decrease();
  bool latency_is_good(std::chrono::microseconds latency) const;
  void observe(std::chrono::microseconds latency);

  ConcurrencyOptions options_;
  uint32_t limit_;
  uint32_t in_flight_ = 0;
  uint32_t good_in_window_ = 0;
  Ticket next_ticket_ = 0;
  Ticket recovery_ticket_ = 0;  // results of tickets below it belong to a past episode
  double baseline_us_ = 0;      // 0 = no sample yet
};

}  // namespace spillway::replay
