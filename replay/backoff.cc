#include "replay/backoff.h"

#include <algorithm>

namespace spillway::replay {

Backoff::Backoff(BackoffOptions options, uint64_t seed) : options_(options), rng_(seed) {
  options_.base = std::max(options_.base, std::chrono::milliseconds{1});
  options_.cap = std::max(options_.cap, options_.base);
  options_.retry_after_max = std::max(options_.retry_after_max, options_.retry_after_min);
}

std::chrono::milliseconds Backoff::ceiling(uint32_t attempt) const {
  const int64_t base = options_.base.count();
  const int64_t cap = options_.cap.count();
  // Doubling past the cap would overflow after ~60 attempts; stop as soon as the cap is reached.
  int64_t bound = base;
  for (uint32_t i = 0; i < attempt && bound < cap; ++i) bound *= 2;
  return std::chrono::milliseconds{std::min(bound, cap)};
}

std::chrono::milliseconds Backoff::clamp_retry_after(std::chrono::milliseconds retry_after) const {
  return std::clamp(retry_after, options_.retry_after_min, options_.retry_after_max);
}

std::chrono::milliseconds Backoff::next(std::optional<std::chrono::milliseconds> retry_after) {
  const uint32_t attempt = attempt_;
  if (attempt_ < UINT32_MAX) ++attempt_;
  if (retry_after.has_value()) return clamp_retry_after(*retry_after);
  std::uniform_int_distribution<int64_t> jitter(0, ceiling(attempt).count());
  return std::chrono::milliseconds{jitter(rng_)};
}

}  // namespace spillway::replay
