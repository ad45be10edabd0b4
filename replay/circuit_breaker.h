#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "replay/backoff.h"

namespace spillway {
class Clock;
}  // namespace spillway

namespace spillway::replay {

enum class BreakerState { kClosed, kOpen, kHalfOpen };

// What a result did to the breaker, so the caller can act on edges: on kClosed it resets the
// ConcurrencyLimit to its minimum (ramp up again from 1); on kOpened it stops dispatching.
enum class BreakerTransition { kNone, kOpened, kClosed };

struct BreakerOptions {
  // Consecutive failures (errors, timeouts, 429, 5xx) that open the circuit. Default 5.
  uint32_t failure_threshold = 5;
  // Open-state waits: exponential with full jitter, longer after each failed probe, reset when
  // the circuit closes. A Retry-After on the failure replaces the computed wait (clamped).
  BackoffOptions backoff{std::chrono::milliseconds{500}, std::chrono::milliseconds{60'000},
                         std::chrono::milliseconds{0}, std::chrono::milliseconds{300'000}};
};

// Stops delivery to a downstream that keeps failing, then probes it with exactly one request
// before letting traffic through again. closed -> open after failure_threshold consecutive
// failures; open -> half-open when the backoff has elapsed (checked lazily, from the clock);
// half-open admits one probe: success -> closed, failure -> open with a longer backoff.
// Results of requests sent before the circuit opened are ignored while it is open.
// Thread affinity: the drainer's strand; not thread-safe. The clock is borrowed and must
// outlive the breaker. Not copyable.
class CircuitBreaker {
 public:
  CircuitBreaker(const Clock& clock, BreakerOptions options, uint64_t seed);
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // Whether a request may be sent now. In half-open it returns true once (that request is the
  // probe) and false until the probe's result arrives.
  bool allow();
  BreakerTransition on_success();
  // `retry_after`: the server's Retry-After, if any.
  BreakerTransition on_failure(std::optional<std::chrono::milliseconds> retry_after = {});

  // Current state; an open circuit whose wait has elapsed reports kHalfOpen.
  BreakerState state();
  // When an open circuit admits its probe; meaningful only in kOpen.
  std::chrono::steady_clock::time_point reopen_at() const { return reopen_at_; }
  uint32_t consecutive_failures() const { return failures_; }

 private:
  BreakerTransition open(std::optional<std::chrono::milliseconds> retry_after);

  const Clock& clock_;
  BreakerOptions options_;
  Backoff backoff_;
  BreakerState state_ = BreakerState::kClosed;
  uint32_t failures_ = 0;
  bool probe_in_flight_ = false;
  std::chrono::steady_clock::time_point reopen_at_{};
};

}  // namespace spillway::replay
