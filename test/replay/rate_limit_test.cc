#include "replay/rate_limit.h"

#include <doctest/doctest.h>

#include <chrono>

#include "test/support/manual_clock.h"

namespace spillway::replay {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

TEST_CASE("RateLimit: rate 0 is unlimited") {
  spillway::test::ManualClock clock;
  RateLimit r(clock, 0);
  CHECK(r.unlimited());
  CHECK(r.available() == RateLimit::kUnlimited);
  r.take(1'000'000);
  CHECK(r.time_until(1'000'000) == nanoseconds(0));
}

TEST_CASE("RateLimit: starts full, refills at the rate and never beyond the burst") {
  spillway::test::ManualClock clock;
  RateLimit r(clock, 100);
  CHECK(r.burst() == 100);
  CHECK(r.available() == 100);
  r.take(100);
  CHECK(r.available() == 0);
  CHECK(r.time_until(10) == milliseconds(100));
  clock.advance(milliseconds(100));
  CHECK(r.available() == 10);
  clock.advance(milliseconds(60'000));
  CHECK(r.available() == 100);
}

TEST_CASE("RateLimit: overdrawing delays the next request by the debt") {
  spillway::test::ManualClock clock;
  RateLimit r(clock, 100);
  r.take(150);
  CHECK(r.available() == 0);
  CHECK(r.time_until(1) == milliseconds(510));
  clock.advance(milliseconds(500));
  CHECK(r.available() == 0);
  clock.advance(milliseconds(10));
  CHECK(r.available() == 1);
}

TEST_CASE("RateLimit: asking for more than the burst waits for a full bucket") {
  spillway::test::ManualClock clock;
  RateLimit r(clock, 10, 20);
  r.take(20);
  CHECK(r.time_until(1'000) == milliseconds(2'000));
}

TEST_CASE("RateLimit: the rate can change at run time") {
  spillway::test::ManualClock clock;
  RateLimit r(clock, 100);
  r.take(100);
  clock.advance(milliseconds(500));  // 50 tokens earned at the old rate
  r.set_rate(10);
  CHECK(r.burst() == 10);
  CHECK(r.available() == 10);  // clamped to the new burst
  r.take(10);
  CHECK(r.time_until(5) == milliseconds(500));
  r.set_rate(0);
  CHECK(r.unlimited());
  r.set_rate(1'000);
  CHECK(r.available() == 1'000);  // leaving unlimited starts full
}

}  // namespace
}  // namespace spillway::replay
