#include "replay/rate_limit.h"

#include <algorithm>
#include <cmath>

#include "common/clock.h"

namespace spillway::replay {

RateLimit::RateLimit(const Clock& clock, double events_per_sec, uint64_t burst)
    : clock_(clock), last_(clock.steady()) {
  set_rate(events_per_sec, burst);
}

void RateLimit::refill() {
  const auto now = clock_.steady();
  // A steady clock never goes back, but a copied time_point from elsewhere might; never refund.
  if (now <= last_) return;
  const double seconds = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  if (unlimited()) return;
  tokens_ = std::min(static_cast<double>(burst_), tokens_ + seconds * rate_);
}

void RateLimit::set_rate(double events_per_sec, uint64_t burst) {
  refill();
  const bool was_unlimited = unlimited();
  // Above 1e12 events/s the cap is meaningless; bounding it keeps the arithmetic exact enough.
  rate_ = std::isfinite(events_per_sec) ? std::clamp(events_per_sec, 0.0, 1e12) : 0.0;
  if (unlimited()) {
    burst_ = 0;
    tokens_ = 0;
    return;
  }
  burst_ = burst > 0 ? burst : std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(rate_)));
  // Leaving "unlimited" starts with a full bucket, as a fresh limiter would.
  tokens_ =
      was_unlimited ? static_cast<double>(burst_) : std::min(tokens_, static_cast<double>(burst_));
}

uint64_t RateLimit::available() {
  if (unlimited()) return kUnlimited;
  refill();
  return tokens_ <= 0 ? 0 : static_cast<uint64_t>(std::floor(tokens_));
}

void RateLimit::take(uint64_t count) {
  if (unlimited()) return;
  refill();
  tokens_ -= static_cast<double>(count);
}

std::chrono::nanoseconds RateLimit::time_until(uint64_t count) {
  if (unlimited()) return std::chrono::nanoseconds{0};
  refill();
  const auto want = static_cast<double>(std::min(count, burst_));
  if (tokens_ >= want) return std::chrono::nanoseconds{0};
  const double seconds = (want - tokens_) / rate_;
  return std::chrono::nanoseconds{static_cast<int64_t>(std::ceil(seconds * 1e9))};
}

}  // namespace spillway::replay
