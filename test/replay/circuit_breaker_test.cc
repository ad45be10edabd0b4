#include "replay/circuit_breaker.h"

#include <doctest/doctest.h>

#include <chrono>

#include "test/support/manual_clock.h"

namespace spillway::replay {
namespace {

using std::chrono::milliseconds;

BreakerOptions options() {
  BreakerOptions o;
  o.failure_threshold = 3;
  o.backoff = BackoffOptions{milliseconds(1'000), milliseconds(30'000), milliseconds(100),
                             milliseconds(120'000)};
  return o;
}

struct Fixture {
  spillway::test::ManualClock clock;
  CircuitBreaker breaker;
  explicit Fixture(uint64_t seed = 1) : breaker(clock, options(), seed) {}

  BreakerTransition fail_n(int n) {
    BreakerTransition last = BreakerTransition::kNone;
    for (int i = 0; i < n; ++i) last = breaker.on_failure();
    return last;
  }
  milliseconds open_for() {
    return std::chrono::duration_cast<milliseconds>(breaker.reopen_at() - clock.steady());
  }
  void wait_until_half_open() { clock.advance(open_for()); }
};

TEST_CASE("CircuitBreaker: stays closed below the threshold; a success resets the count") {
  Fixture f;
  CHECK(f.fail_n(2) == BreakerTransition::kNone);
  CHECK(f.breaker.on_success() == BreakerTransition::kNone);
  CHECK(f.fail_n(2) == BreakerTransition::kNone);
  CHECK(f.breaker.state() == BreakerState::kClosed);
  CHECK(f.breaker.allow());
}

TEST_CASE("CircuitBreaker: opens after N consecutive failures for a jittered backoff") {
  Fixture f;
  CHECK(f.fail_n(3) == BreakerTransition::kOpened);
  CHECK(f.breaker.state() == BreakerState::kOpen);
  CHECK_FALSE(f.breaker.allow());
  CHECK(f.open_for() >= milliseconds(0));
  CHECK(f.open_for() <= milliseconds(1'000));
}

TEST_CASE("CircuitBreaker: half-open admits exactly one probe") {
  Fixture f;
  f.fail_n(3);
  f.wait_until_half_open();
  CHECK(f.breaker.state() == BreakerState::kHalfOpen);
  CHECK(f.breaker.allow());
  CHECK_FALSE(f.breaker.allow());
  CHECK_FALSE(f.breaker.allow());
}

TEST_CASE("CircuitBreaker: a successful probe closes the circuit and reports it") {
  Fixture f;
  f.fail_n(3);
  f.wait_until_half_open();
  REQUIRE(f.breaker.allow());
  CHECK(f.breaker.on_success() == BreakerTransition::kClosed);
  CHECK(f.breaker.state() == BreakerState::kClosed);
  CHECK(f.breaker.allow());
  CHECK(f.breaker.consecutive_failures() == 0);
}

TEST_CASE("CircuitBreaker: a failed probe reopens with a longer backoff") {
  // Jittered, so compare the bound per attempt and the mean over many seeds.
  double first_total = 0;
  double second_total = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    Fixture f(seed);
    f.fail_n(3);
    const milliseconds first = f.open_for();
    f.wait_until_half_open();
    REQUIRE(f.breaker.allow());
    CHECK(f.breaker.on_failure() == BreakerTransition::kOpened);
    const milliseconds second = f.open_for();
    CHECK(second <= milliseconds(2'000));
    CHECK_FALSE(f.breaker.allow());
    first_total += static_cast<double>(first.count());
    second_total += static_cast<double>(second.count());
  }
  CHECK(second_total > 1.5 * first_total);
}

TEST_CASE("CircuitBreaker: the backoff grows to the cap and resets when the circuit closes") {
  Fixture f;
  f.fail_n(3);
  for (int i = 0; i < 10; ++i) {
    f.wait_until_half_open();
    REQUIRE(f.breaker.allow());
    f.breaker.on_failure();
    CHECK(f.open_for() <= milliseconds(30'000));
  }
  f.wait_until_half_open();
  REQUIRE(f.breaker.allow());
  f.breaker.on_success();
  f.fail_n(3);
  CHECK(f.open_for() <= milliseconds(1'000));
}

TEST_CASE("CircuitBreaker: Retry-After on the opening failure sets the wait, clamped") {
  Fixture f;
  f.fail_n(2);
  f.breaker.on_failure(milliseconds(7'000));
  CHECK(f.open_for() == milliseconds(7'000));
  f.wait_until_half_open();
  REQUIRE(f.breaker.allow());
  f.breaker.on_failure(milliseconds(10'000'000));
  CHECK(f.open_for() == milliseconds(120'000));
}

TEST_CASE("CircuitBreaker: late results of requests sent before opening are ignored") {
  Fixture f;
  f.fail_n(3);
  const auto reopen = f.breaker.reopen_at();
  CHECK(f.breaker.on_failure() == BreakerTransition::kNone);
  CHECK(f.breaker.on_success() == BreakerTransition::kNone);
  CHECK(f.breaker.reopen_at() == reopen);
  f.wait_until_half_open();
  // Half-open with no probe out: a straggling failure does not reopen.
  CHECK(f.breaker.on_failure() == BreakerTransition::kNone);
  CHECK(f.breaker.allow());
}

}  // namespace
}  // namespace spillway::replay
