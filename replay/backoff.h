#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

namespace spillway::replay {

struct BackoffOptions {
  // Upper bound of the first delay. Default 100 ms.
  std::chrono::milliseconds base{100};
  // Upper bound of any computed delay. Default 30 s: longer only delays recovery detection.
  std::chrono::milliseconds cap{30'000};
  // A server's Retry-After is clamped to [retry_after_min, retry_after_max]. Defaults 0 and
  // 5 min: a server cannot stall delivery for hours with one header.
  std::chrono::milliseconds retry_after_min{0};
  std::chrono::milliseconds retry_after_max{300'000};
};

// Retry delays: exponential with full jitter (uniform in [0, min(cap, base × 2^attempt)]),
// which spreads retries of many clients so a recovering downstream does not see them in step.
// A server's Retry-After, when given, replaces the computed delay (clamped).
// Thread affinity: the drainer's strand; not thread-safe. Holds only a seeded RNG and the count
// of consecutive failures. Copyable (a copy continues the same random sequence).
class Backoff {
 public:
  explicit Backoff(BackoffOptions options = {}, uint64_t seed = std::random_device{}());

  // Delay before the next retry; counts one more consecutive failure.
  std::chrono::milliseconds next(std::optional<std::chrono::milliseconds> retry_after = {});
  // A success: the next failure starts again from `base`.
  void reset() { attempt_ = 0; }
  // Consecutive failures counted so far.
  uint32_t attempt() const { return attempt_; }
  // min(cap, base × 2^attempt): the upper bound of the jittered delay for `attempt`.
  std::chrono::milliseconds ceiling(uint32_t attempt) const;
  std::chrono::milliseconds clamp_retry_after(std::chrono::milliseconds retry_after) const;
  const BackoffOptions& options() const { return options_; }

 private:
  BackoffOptions options_;
  std::mt19937_64 rng_;
  uint32_t attempt_ = 0;
};

}  // namespace spillway::replay
