#include "replay/catchup_scheduler.h"

#include <doctest/doctest.h>

#include <chrono>
#include <vector>

#include "test/replay/scheduler_fixture.h"
#include "test/support/manual_clock.h"

namespace spillway::replay {
namespace {

using std::chrono::milliseconds;
using test::acct;
using test::drain;
using test::fill;

TEST_CASE("CatchupScheduler: serves the smallest remaining backlog first, whole") {
  spillway::test::ManualClock clock;
  CatchupScheduler s(clock, 1000);
  s.set_backlog(acct(1), 50);
  s.set_backlog(acct(2), 10);
  s.set_backlog(acct(3), 30);
  auto grants = fill(s, 1000);
  REQUIRE(grants.size() == 3);
  CHECK(grants[0] == Grant{acct(2), 10});
  CHECK(grants[1] == Grant{acct(3), 30});
  CHECK(grants[2] == Grant{acct(1), 50});
}

TEST_CASE("CatchupScheduler: depth divided by weight orders the accounts") {
  spillway::test::ManualClock clock;
  CatchupScheduler s(clock, 0);
  s.set_backlog(acct(1), 40);
  s.set_weight(acct(1), 10);  // 4 per unit of weight
  s.set_backlog(acct(2), 10);
  CHECK(s.next(5)->account == acct(1));
}

TEST_CASE("CatchupScheduler: an account that grows is re-ranked") {
  spillway::test::ManualClock clock;
  CatchupScheduler s(clock, 0);
  s.set_backlog(acct(1), 10);
  s.set_backlog(acct(2), 20);
  s.appended(acct(1), 100);
  CHECK(s.next(5)->account == acct(2));
}

// A new small account arrives every 100 ms and takes the only slot: without aging the large
// account would wait forever.
int64_t wait_of_large_account_ms(double aging) {
  spillway::test::ManualClock clock;
  CatchupScheduler s(clock, aging);
  s.set_backlog(acct(1), 1000);
  for (uint32_t step = 0; step < 600; ++step) {
    s.set_backlog(acct(100 + step), 5);
    auto grants = fill(s, 5);
    test::complete_all(s, grants);
    if (!grants.empty() && grants[0].account == acct(1)) return step * 100;
    clock.advance(milliseconds(100));
  }
  return -1;
}

TEST_CASE("CatchupScheduler: aging serves a large account within a bounded time") {
  // Bound: the large account outranks a fresh small one after (1000 - 5) / aging seconds.
  const int64_t waited = wait_of_large_account_ms(100);
  CHECK(waited >= 9'000);
  CHECK(waited <= 10'100);
  CHECK(wait_of_large_account_ms(0) == -1);
}

TEST_CASE("CatchupScheduler: the wait restarts after each slice") {
  spillway::test::ManualClock clock;
  CatchupScheduler s(clock, 1000);
  s.set_backlog(acct(1), 1000);
  clock.advance(milliseconds(5000));
  test::complete_all(s, fill(s, 10));  // acct 1 served; it re-enters now
  s.set_backlog(acct(2), 500);
  CHECK(s.next(10)->account == acct(2));
}

TEST_CASE("CatchupScheduler: accounts queued while nothing could be sent are not aged") {
  spillway::test::ManualClock clock;
  CatchupScheduler s(clock, 1000);
  // An outage: the first request is stuck; accounts keep arriving over a minute.
  s.set_backlog(acct(1), 5);
  (void)fill(s, 5);
  s.set_backlog(acct(2), 50'000);
  clock.advance(milliseconds(60'000));
  s.set_backlog(acct(3), 100);
  // Smallest first: 60 s of outage are not 60,000 events of priority for the large account.
  CHECK(s.next(1000)->account == acct(3));
}

TEST_CASE("CatchupScheduler: in-flight and paused accounts are not eligible") {
  spillway::test::ManualClock clock;
  CatchupScheduler s(clock, 1000);
  s.set_backlog(acct(1), 10);
  s.set_backlog(acct(2), 20);
  s.set_backlog(acct(3), 30);
  auto first = fill(s, 5);
  REQUIRE(first[0].account == acct(1));
  s.set_paused(acct(2), true);
  CHECK(s.next(5)->account == acct(3));
  CHECK(s.eligible_count() == 1);
  auto total = drain(s, 1, 1000);
  CHECK(total.count(acct(1)) == 0);
}

}  // namespace
}  // namespace spillway::replay
