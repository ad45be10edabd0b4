#include "replay/backoff.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>

namespace spillway::replay {
namespace {

using std::chrono::milliseconds;

BackoffOptions options() {
  return BackoffOptions{milliseconds(100), milliseconds(10'000), milliseconds(1'000),
                        milliseconds(60'000)};
}

TEST_CASE("Backoff: the ceiling doubles per attempt up to the cap") {
  Backoff b(options(), 1);
  CHECK(b.ceiling(0) == milliseconds(100));
  CHECK(b.ceiling(1) == milliseconds(200));
  CHECK(b.ceiling(6) == milliseconds(6'400));
  CHECK(b.ceiling(7) == milliseconds(10'000));
  CHECK(b.ceiling(4'000'000'000U) == milliseconds(10'000));
}

TEST_CASE("Backoff: delays are fully jittered within [0, ceiling]") {
  for (uint32_t attempt = 0; attempt < 10; ++attempt) {
    milliseconds lo = milliseconds::max();
    milliseconds hi = milliseconds::min();
    for (uint64_t seed = 0; seed < 400; ++seed) {
      Backoff b(options(), seed);
      for (uint32_t i = 0; i < attempt; ++i) (void)b.next();
      const milliseconds d = b.next();
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    const milliseconds ceiling = Backoff(options(), 0).ceiling(attempt);
    CHECK(lo >= milliseconds(0));
    CHECK(hi <= ceiling);
    // Full jitter spreads over the whole range, not just near the ceiling.
    CHECK(lo.count() <= ceiling.count() / 10);
    CHECK(hi.count() >= ceiling.count() * 9 / 10);
  }
}

TEST_CASE("Backoff: the same seed gives the same delays") {
  Backoff a(options(), 42);
  Backoff b(options(), 42);
  for (int i = 0; i < 20; ++i) CHECK(a.next() == b.next());
}

TEST_CASE("Backoff: Retry-After replaces the computed delay, clamped to [min, max]") {
  Backoff b(options(), 7);
  CHECK(b.next(milliseconds(5'000)) == milliseconds(5'000));
  CHECK(b.next(milliseconds(10)) == milliseconds(1'000));
  CHECK(b.next(milliseconds(3'600'000)) == milliseconds(60'000));
  CHECK(b.attempt() == 3);
}

TEST_CASE("Backoff: reset starts again from the base") {
  Backoff b(options(), 3);
  for (int i = 0; i < 12; ++i) (void)b.next();
  b.reset();
  CHECK(b.attempt() == 0);
  CHECK(b.next() <= milliseconds(100));
}

TEST_CASE("Backoff: nonsensical options are repaired") {
  Backoff b(BackoffOptions{milliseconds(0), milliseconds(0), milliseconds(500), milliseconds(10)},
            1);
  CHECK(b.options().base == milliseconds(1));
  CHECK(b.options().cap == milliseconds(1));
  CHECK(b.clamp_retry_after(milliseconds(0)) == milliseconds(500));
}

}  // namespace
}  // namespace spillway::replay
