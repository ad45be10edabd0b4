#pragma once

#include <array>
#include <chrono>
#include <cstddef>
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
// latency jump. Only one decrease per episode: requests sent before a decrease that fail
// afterwards (the same overload, seen k times at concurrency k) do not decrease again.
// Latency depends on request size, so baselines (min-biased EWMAs) are kept per size class
// (powers of two of events). A success is good when its latency is at most its class's baseline
// plus (latency_factor - 1) × the baseline of the largest class seen: the queueing of about one
// full request is allowed for requests of every size, so a small request's fast answer does not
// make full requests look slow, nor does a small request queued behind a full one look late.
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
  void on_success(Ticket ticket, std::chrono::microseconds latency, uint64_t events = 1);
  // The same, judged against `allowed` (good when latency <= allowed) instead of the baselines:
  // for a caller with a cost model of the downstream (RequestSize), which excludes queueing
  // and so does not creep up with it the way a baseline of observed latencies does. A bad
  // latency steps the limit down by one (errors still halve it).
  void on_success(Ticket ticket, std::chrono::microseconds latency, uint64_t events,
                  std::chrono::microseconds allowed);
  // An error, timeout or 429 (including a breaker probe that failed).
  void on_failure(Ticket ticket);
  // Back to min_limit with a fresh window (after the circuit breaker closes). Keeps the baseline.
  void reset();
  // New bounds (PUT /v1/drain/limits); the current limit is clamped into them.
  void set_bounds(uint32_t min_limit, uint32_t max_limit);

  uint32_t limit() const { return limit_; }
  uint32_t in_flight() const { return in_flight_; }
  // The baseline of the largest size class seen; zero until the first success.
  std::chrono::microseconds baseline() const;

 private:
  void finish();
  uint32_t halved() const;  // the limit after a multiplicative decrease
  void decrease(uint32_t reduced);
  // Ends a request; a bad one sets the limit to `reduced` (once per episode).
  void settle(Ticket ticket, bool good, uint32_t reduced);
  static constexpr size_t kSizeClasses = 17;  // 1, 2-3, 4-7, ..., >= 65536 events
  static size_t size_class(uint64_t events);
  bool latency_is_good(std::chrono::microseconds latency, size_t size_class) const;
  void observe(std::chrono::microseconds latency, size_t size_class);

  ConcurrencyOptions options_;
  uint32_t limit_;
  uint32_t in_flight_ = 0;
  uint32_t good_in_window_ = 0;
  Ticket next_ticket_ = 0;
  Ticket recovery_ticket_ = 0;  // results of tickets below it belong to a past episode
  std::array<double, kSizeClasses> baseline_us_{};  // per size class; 0 = no sample yet
  size_t largest_class_ = 0;                        // the largest size class with a sample
};

}  // namespace spillway::replay
