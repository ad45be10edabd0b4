#include "replay/fair_scheduler.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>

#include "test/replay/scheduler_fixture.h"

namespace spillway::replay {
namespace {

using test::acct;
using test::complete_all;
using test::drain;
using test::fill;
using test::per_account;

constexpr uint64_t kHuge = 1'000'000;

TEST_CASE("FairScheduler: equal weights get equal shares over many rounds") {
  FairScheduler s(4);
  for (uint32_t i = 1; i <= 10; ++i) s.set_backlog(acct(i), kHuge);
  auto total = drain(s, 1000, 16);
  REQUIRE(total.size() == 10);
  for (const auto& [account, n] : total) CHECK(n == doctest::Approx(1600).epsilon(0.01));
}

TEST_CASE("FairScheduler: shares over many rounds follow the weight ratio") {
  FairScheduler s(4);
  const std::array<uint32_t, 3> weights = {1, 2, 5};
  for (uint32_t i = 0; i < 3; ++i) {
    s.set_weight(acct(i + 1), weights[i]);
    s.set_backlog(acct(i + 1), kHuge);
  }
  // Three more unweighted accounts keep every request shorter than one round.
  for (uint32_t i = 4; i <= 6; ++i) s.set_backlog(acct(i), kHuge);
  auto total = drain(s, 2000, 20);
  const double unit = static_cast<double>(total[acct(4)]);
  CHECK(total[acct(1)] / unit == doctest::Approx(1.0).epsilon(0.02));
  CHECK(total[acct(2)] / unit == doctest::Approx(2.0).epsilon(0.02));
  CHECK(total[acct(3)] / unit == doctest::Approx(5.0).epsilon(0.02));
}

TEST_CASE(
    "FairScheduler: an account with 20 events among one with 1,000,000 is done within one round") {
  FairScheduler s(4);
  s.set_backlog(acct(1), kHuge);
  SUBCASE("small requests: the large account gets no more than the small one plus a quantum") {
    drain(s, 3, 8);  // the large account is well into its drain
    s.appended(acct(2), 20);
    uint64_t big = 0;
    while (s.status(acct(2)).depth > 0) big += drain(s, 1, 8)[acct(1)];
    CHECK(big <= 20 + 4);
  }
  SUBCASE("one large request holds all 20 events") {
    s.appended(acct(2), 20);
    auto request = per_account(fill(s, 500));
    CHECK(request[acct(2)] == 20);
    CHECK(request[acct(1)] == 480);
  }
}

TEST_CASE("FairScheduler: a small account is done within one round of 1,000 large ones") {
  FairScheduler s(4);
  for (uint32_t i = 1; i <= 1000; ++i) s.set_backlog(acct(i), kHuge);
  drain(s, 7, 500);  // mid-round
  s.appended(acct(5000), 20);
  std::map<AccountId, uint64_t> others;
  while (s.status(acct(5000)).depth > 0) {
    for (const auto& [a, n] : drain(s, 1, 500)) others[a] += n;
  }
  for (const auto& [a, n] : others) {
    if (a != acct(5000)) CHECK(n <= 20 + 2 * 4);
  }
}

TEST_CASE("FairScheduler: a newly backlogged account is served at the next turn") {
  FairScheduler s(4);
  for (uint32_t i = 1; i <= 100; ++i) s.set_backlog(acct(i), kHuge);
  drain(s, 30, 40);
  s.appended(acct(777), 3);
  CHECK(s.new_count() == 1);
  auto g = s.next(40);
  REQUIRE(g);
  CHECK(*g == Grant{acct(777), 3});
}

// A caught-up account (its slice took everything it had) whose next events arrive while that
// slice is in flight: the drainer may tell the scheduler before the slice completes (appended)
// or after (set_backlog from the account table); either way the account is new again.
TEST_CASE("FairScheduler: an account that caught up is served first when new events arrive") {
  FairScheduler s(4);
  for (uint32_t i = 1; i <= 100; ++i) s.set_backlog(acct(i), kHuge);
  drain(s, 30, 40);
  s.appended(acct(777), 2);
  auto first = fill(s, 40);
  REQUIRE(first.front() == Grant{acct(777), 2});
  SUBCASE("events reported while its slice is in flight") {
    s.appended(acct(777), 3);
    complete_all(s, first);
  }
  SUBCASE("events reported after its slice completed") {
    complete_all(s, first);
    s.set_backlog(acct(777), 3);
  }
  CHECK(s.new_count() == 1);
  auto next = s.next(40);
  REQUIRE(next);
  CHECK(*next == Grant{acct(777), 3});
}

TEST_CASE("FairScheduler: an account still behind after its slice is not new again") {
  FairScheduler s(4);
  for (uint32_t i = 1; i <= 100; ++i) s.set_backlog(acct(i), kHuge);
  s.set_backlog(acct(777), 100);
  auto request = fill(s, 40);
  while (per_account(request).count(acct(777)) == 0) {
    complete_all(s, request);
    request = fill(s, 40);
  }
  s.appended(acct(777), 3);  // arrives while 4 of its 100 are in flight
  complete_all(s, request);
  CHECK(s.new_count() == 0);
  CHECK(s.status(acct(777)).depth == 99);
}

TEST_CASE("FairScheduler: a new account gets one turn of priority, then waits its turn") {
  FairScheduler s(4);
  for (uint32_t i = 1; i <= 5; ++i) s.set_backlog(acct(i), kHuge);
  drain(s, 2, 12);
  s.appended(acct(9), kHuge);
  auto first = s.next(100);
  REQUIRE(first);
  CHECK(*first == Grant{acct(9), 4});
  // Its turn spent, it goes to the tail of the old list behind the 5 accounts.
  std::vector<AccountId> order;
  for (int i = 0; i < 5; ++i) order.push_back(s.next(4)->account);
  CHECK(std::find(order.begin(), order.end(), acct(9)) == order.end());
  CHECK(s.new_count() == 0);
}

TEST_CASE("FairScheduler: an account with a slice in flight gets no other until it completes") {
  FairScheduler s(4);
  s.set_backlog(acct(1), 100);
  s.set_backlog(acct(2), 100);
  auto first = fill(s, 4);
  REQUIRE(first.size() == 1);
  const AccountId busy = first[0].account;
  for (int i = 0; i < 10; ++i) {
    auto req = fill(s, 4);
    for (const Grant& g : req) CHECK(g.account != busy);
    complete_all(s, req);
  }
  CHECK(s.status(busy).in_flight);
  s.complete(busy, 4);
  CHECK(s.status(busy).depth == 96);
  CHECK_FALSE(s.status(busy).in_flight);
  CHECK(per_account(fill(s, 1000)).count(busy) == 1);
}

TEST_CASE("FairScheduler: with one account left, a request is filled by that account") {
  FairScheduler s(4);
  s.set_backlog(acct(1), kHuge);
  int calls = 0;
  uint64_t granted = 0;
  while (auto g = s.next(500 - granted)) {
    ++calls;
    granted += g->max_events;
    if (granted == 500) break;
  }
  CHECK(granted == 500);
  CHECK(calls <= 3);
}

TEST_CASE("FairScheduler: paused accounts are skipped and resume where they were") {
  FairScheduler s(4);
  for (uint32_t i = 1; i <= 3; ++i) s.set_backlog(acct(i), 1000);
  s.set_paused(acct(2), true);
  auto total = drain(s, 50, 8);
  CHECK(total.count(acct(2)) == 0);
  CHECK(s.eligible_count() == 2);
  s.set_paused(acct(2), false);
  CHECK(drain(s, 5, 12).count(acct(2)) == 1);
}

TEST_CASE("FairScheduler: a paused account keeps its slice in flight but gets no new one") {
  FairScheduler s(4);
  s.set_backlog(acct(1), 100);
  auto req = fill(s, 4);
  s.set_paused(acct(1), true);
  complete_all(s, req);
  CHECK(s.status(acct(1)).depth == 96);
  CHECK_FALSE(s.next(100));
}

TEST_CASE("FairScheduler: the global pause stops every grant and keeps the order") {
  FairScheduler s(4);
  s.set_backlog(acct(1), 10);
  s.set_backlog(acct(2), 10);
  s.set_all_paused(true);
  CHECK_FALSE(s.next(100));
  s.set_all_paused(false);
  auto g = s.next(100);
  REQUIRE(g);
  CHECK(g->account == acct(1));
}

TEST_CASE("FairScheduler: unused grant is refunded and only taken events leave the queue") {
  FairScheduler s(4);
  s.set_backlog(acct(1), 10);
  s.set_backlog(acct(2), 10);
  auto g = s.next(100);
  REQUIRE(*g == Grant{acct(1), 4});
  s.seal();
  s.complete(acct(1), 1);  // a byte limit cut the slice to one event
  CHECK(s.status(acct(1)).depth == 9);
  CHECK(s.total_depth() == 19);
}

TEST_CASE("FairScheduler: an account emptied by its grants leaves the rotation") {
  FairScheduler s(4);
  s.set_backlog(acct(1), 3);
  CHECK(*s.next(100) == Grant{acct(1), 3});
  CHECK(s.eligible_count() == 0);
  CHECK_FALSE(s.next(100));
  s.seal();
  s.complete(acct(1), 3);
  CHECK(s.total_depth() == 0);
}

TEST_CASE("FairScheduler: turns grow to the fair share of the pipeline when few are backlogged") {
  FairScheduler s(4, 1500);
  SUBCASE("many accounts: one quantum per turn") {
    for (uint32_t i = 1; i <= 1000; ++i) s.set_backlog(acct(i), 1000);
    const auto request = per_account(fill(s, 500));
    CHECK(request.size() == 125);
    CHECK(s.turn_events() == 4);
  }
  SUBCASE("three deep accounts among many shallow ones: the rest of the pipeline, split") {
    for (uint32_t i = 1; i <= 300; ++i) s.set_backlog(acct(i), 1);
    for (uint32_t i = 301; i <= 303; ++i) s.set_backlog(acct(i), kHuge);
    (void)fill(s, 500);
    CHECK(s.turn_events() == 400);  // (1500 - 300) / 3
  }
  SUBCASE("accounts that joined while a request was stuck get the turn of the day") {
    s.set_backlog(acct(1), kHuge);
    (void)fill(s, 500);  // in flight, retried while the downstream is down
    for (uint32_t i = 2; i <= 1000; ++i) s.set_backlog(acct(i), 1000);
    const auto request = per_account(fill(s, 500));
    CHECK(request.size() == 125);
    for (const auto& [account, n] : request) CHECK(n == 4);
  }
}

}  // namespace
}  // namespace spillway::replay
