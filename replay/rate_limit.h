#pragma once

#include <chrono>
#include <cstdint>

namespace spillway {
class Clock;
}  // namespace spillway

namespace spillway::replay {

// Optional cap on delivered events per second (token bucket), changeable at run time
// (PUT /v1/drain/limits). Rate 0 means unlimited. The bucket holds at most `burst` tokens
// (default: one second's worth), and starts full. take() may overdraw: the drainer learns a
// request's exact size only after filling it, and the debt delays the next request instead.
// Thread affinity: the drainer's strand; not thread-safe. The clock is borrowed and must outlive
// this object. Not copyable.
class RateLimit {
 public:
  static constexpr uint64_t kUnlimited = UINT64_MAX;

  explicit RateLimit(const Clock& clock, double events_per_sec = 0, uint64_t burst = 0);
  RateLimit(const RateLimit&) = delete;
  RateLimit& operator=(const RateLimit&) = delete;

  // burst 0 means one second's worth of tokens (at least 1). Tokens earned so far are kept,
  // clamped to the new burst.
  void set_rate(double events_per_sec, uint64_t burst = 0);
  double rate() const { return rate_; }
  uint64_t burst() const { return burst_; }
  bool unlimited() const { return rate_ <= 0; }

  // Whole tokens available now; kUnlimited when unlimited.
  uint64_t available();
  // Spends `count` tokens, going into debt if needed.
  void take(uint64_t count);
  // Time until min(count, burst) tokens are available; zero if they already are or unlimited.
  std::chrono::nanoseconds time_until(uint64_t count);

 private:
  void refill();

  const Clock& clock_;
  double rate_ = 0;
  uint64_t burst_ = 0;
  double tokens_ = 0;  // may be negative (debt)
  std::chrono::steady_clock::time_point last_;
};

}  // namespace spillway::replay
