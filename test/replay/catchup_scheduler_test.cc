#include "replay/catchup_scheduler.h"

#include <doctest/doctest.h>

#include <vector>

#include "test/replay/scheduler_fixture.h"

namespace spillway::replay {
namespace {

using test::acct;
using test::drain;
using test::fill;

TEST_CASE("CatchupScheduler: serves the smallest remaining backlog first, whole") {
  CatchupScheduler s(0.1);
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
  CatchupScheduler s(0);
  s.set_backlog(acct(1), 40);
  s.set_weight(acct(1), 10);  // 4 per unit of weight
  s.set_backlog(acct(2), 10);
  CHECK(s.next(5)->account == acct(1));
}

TEST_CASE("CatchupScheduler: an account that grows is re-ranked") {
  CatchupScheduler s(0);
  s.set_backlog(acct(1), 10);
  s.set_backlog(acct(2), 20);
  s.appended(acct(1), 100);
  CHECK(s.next(5)->account == acct(2));
}

// A new small account arrives after each request and takes the only slot: without aging the
// large account would wait forever. Returns the events delivered to others before it is served.
int64_t wait_of_large_account(double aging) {
  CatchupScheduler s(aging);
  s.set_backlog(acct(1), 5000);
  int64_t delivered = 0;
  for (uint32_t step = 0; step < 20'000; ++step) {
    s.set_backlog(acct(100 + step), 5);
    auto grants = fill(s, 5);
    test::complete_all(s, grants);
    if (!grants.empty() && grants[0].account == acct(1)) return delivered;
    delivered += 5;
  }
  return -1;
}

TEST_CASE("CatchupScheduler: aging serves a large account within a bounded wait") {
  // A fresh small account ranks 5 + 1,000 + a tenth of the large one's aging (aging × waited),
  // so the large one (5,000) goes first once 0.1 × aging × waited > 3,995.
  const int64_t waited = wait_of_large_account(1.0);
  CHECK(waited >= 39'900);
  CHECK(waited <= 40'000);
  CHECK(wait_of_large_account(10.0) <= 4'000);
  CHECK(wait_of_large_account(0) == -1);
}

TEST_CASE("CatchupScheduler: a caught-up account's new events go ahead of aged backlogs") {
  CatchupScheduler s(0.1);
  s.set_backlog(acct(2), 1500);
  s.set_paused(acct(2), true);  // waits from the start, like a backlog the drain has not reached
  s.set_backlog(acct(1), 20'000);
  test::complete_all(s, fill(s, 20'000));  // acct 1 caught up after 20,000 events
  s.set_paused(acct(2), false);
  s.set_backlog(acct(1), 3);  // its live traffic
  // Entering at the clock (20,000) would rank it 3 + 2,000, behind acct 2's 1,500; close behind
  // the longest waiter (1,000 + 0.1 × 2,000) it ranks 1,203 and goes first.
  CHECK(s.next(1000)->account == acct(1));
}

TEST_CASE("CatchupScheduler: a slice does not restart an account's wait") {
  CatchupScheduler s(1.0);
  s.set_backlog(acct(1), 1000);
  s.set_paused(acct(1), true);  // waits from the start
  s.set_backlog(acct(3), 3000);
  test::complete_all(s, fill(s, 3000));  // 3,000 events of aging
  s.set_paused(acct(1), false);
  s.set_backlog(acct(4), 800);  // fresh: ranks 800 + 1,000 + 300 behind acct 1 (mark 0)
  auto first = fill(s, 100);
  REQUIRE(first.size() == 1);
  CHECK(first[0] == Grant{acct(1), 100});
  s.appended(acct(1), 50);  // live events arrive while its slice is in flight
  test::complete_all(s, first);
  // Back with 950 events and its old mark, it stays ahead of acct 4 (2,100); re-entering at
  // the clock (950 + 3,100) would put it behind.
  CHECK(s.next(10)->account == acct(1));
}

TEST_CASE("CatchupScheduler: a small account cut short by a full request stays first") {
  CatchupScheduler s(0.1);
  s.set_backlog(acct(1), 150);
  s.set_backlog(acct(2), 200);
  for (AccountId other = acct(10); other.value < 60; other.value++) s.set_backlog(other, 5000);
  auto first = fill(s, 100);
  REQUIRE(first[0] == Grant{acct(1), 100});
  test::complete_all(s, first);
  CHECK(s.next(1000)->account == acct(1));  // its last 50, not after the others' waits
}

TEST_CASE("CatchupScheduler: accounts queued while nothing could be sent are not aged") {
  CatchupScheduler s(0.1);
  // An outage: the first request is stuck; accounts keep arriving meanwhile.
  s.set_backlog(acct(1), 5);
  (void)fill(s, 5);
  s.set_backlog(acct(2), 50'000);
  s.set_backlog(acct(3), 100);
  // Smallest first: the large account's earlier arrival gives it no priority.
  CHECK(s.next(1000)->account == acct(3));
}

TEST_CASE("CatchupScheduler: in-flight and paused accounts are not eligible") {
  CatchupScheduler s(0.1);
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
