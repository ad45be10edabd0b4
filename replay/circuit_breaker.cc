#include "replay/circuit_breaker.h"

#include <algorithm>

#include "common/clock.h"

namespace spillway::replay {

CircuitBreaker::CircuitBreaker(const Clock& clock, BreakerOptions options, uint64_t seed)
    : clock_(clock), options_(options), backoff_(options.backoff, seed) {
  options_.failure_threshold = std::max(1U, options_.failure_threshold);
}

BreakerState CircuitBreaker::state() {
  if (state_ == BreakerState::kOpen && clock_.steady() >= reopen_at_) {
    state_ = BreakerState::kHalfOpen;
    probe_in_flight_ = false;
  }
  return state_;
}

bool CircuitBreaker::allow() {
  switch (state()) {
    case BreakerState::kClosed:
      return true;
    case BreakerState::kOpen:
      return false;
    case BreakerState::kHalfOpen:
      if (probe_in_flight_) return false;
      probe_in_flight_ = true;
      return true;
  }
  return false;
}

BreakerTransition CircuitBreaker::on_success() {
  switch (state()) {
    case BreakerState::kClosed:
      failures_ = 0;
      return BreakerTransition::kNone;
    case BreakerState::kOpen:
      // A late success of a request sent before the circuit opened proves little; the probe
      // decides.
      return BreakerTransition::kNone;
    case BreakerState::kHalfOpen:
      // Only the probe can be in flight here, except for late results of pre-open requests,
      // which are as good a sign as the probe's.
      state_ = BreakerState::kClosed;
      failures_ = 0;
      probe_in_flight_ = false;
      backoff_.reset();
      return BreakerTransition::kClosed;
  }
  return BreakerTransition::kNone;
}

BreakerTransition CircuitBreaker::on_failure(std::optional<std::chrono::milliseconds> retry_after) {
  switch (state()) {
    case BreakerState::kClosed:
      if (++failures_ < options_.failure_threshold) return BreakerTransition::kNone;
      return open(retry_after);
    case BreakerState::kOpen:
      return BreakerTransition::kNone;
    case BreakerState::kHalfOpen:
      // A failure without a probe out is a late result from before opening; wait for the probe.
      if (!probe_in_flight_) return BreakerTransition::kNone;
      ++failures_;
      return open(retry_after);
  }
  return BreakerTransition::kNone;
}

BreakerTransition CircuitBreaker::open(std::optional<std::chrono::milliseconds> retry_after) {
  state_ = BreakerState::kOpen;
  probe_in_flight_ = false;
  reopen_at_ = clock_.steady() + backoff_.next(retry_after);
  return BreakerTransition::kOpened;
}

}  // namespace spillway::replay
