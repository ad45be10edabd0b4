#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "common/clock.h"
#include "common/ids.h"

namespace spillway::ingest {

// Per-account token bucket over events: `rate` events/s with a burst of two seconds' worth.
// rate 0 disables it. Thread-safe (one mutex; the critical section is a few arithmetic ops).
// Memory is O(accounts that sent events).
class RateLimiter {
 public:
  RateLimiter(uint32_t rate, const Clock& clock) : rate_(rate), clock_(clock) {}
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes n tokens; false (and nothing taken) when the bucket has fewer.
  bool admit(AccountId account, uint32_t n);
  // Seconds until n tokens will be there (>= 1), for Retry-After.
  int retry_after_s(uint32_t n) const;

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point last;
  };
  const uint32_t rate_;
  const Clock& clock_;
  std::mutex mu_;
  // Guarded by mu_.
  std::unordered_map<AccountId, Bucket> buckets_;
};

}  // namespace spillway::ingest
