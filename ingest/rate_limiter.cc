#include "ingest/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace spillway::ingest {

bool RateLimiter::admit(AccountId account, uint32_t n) {
  if (rate_ == 0) return true;
  const double burst = 2.0 * rate_;
  auto now = clock_.steady();
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, fresh] = buckets_.try_emplace(account, Bucket{burst, now});
  Bucket& b = it->second;
  if (!fresh) {
    std::chrono::duration<double> elapsed = now - b.last;
    b.tokens = std::min(burst, b.tokens + elapsed.count() * rate_);
    b.last = now;
  }
  if (b.tokens < n) return false;
  b.tokens -= n;
  return true;
}

int RateLimiter::retry_after_s(uint32_t n) const {
  if (rate_ == 0) return 1;
  return std::max(1, static_cast<int>(std::ceil(static_cast<double>(n) / rate_)));
}

}  // namespace spillway::ingest
