#include "replay/scheduler.h"

#include <doctest/doctest.h>

#include "replay/catchup_scheduler.h"
#include "replay/fair_scheduler.h"
#include "replay/fifo_scheduler.h"
#include "test/replay/scheduler_fixture.h"

namespace spillway::replay {
namespace {

using test::acct;

TEST_CASE("Scheduler: policy names round-trip") {
  for (DrainPolicy p : {DrainPolicy::kFair, DrainPolicy::kCatchup, DrainPolicy::kFifo}) {
    CHECK(parse_drain_policy(to_string(p)) == p);
  }
  CHECK_FALSE(parse_drain_policy("srpt"));
}

TEST_CASE("Scheduler: make_scheduler builds the configured policy") {
  SchedulerOptions o;
  CHECK(dynamic_cast<FairScheduler*>(make_scheduler(o).get()) != nullptr);
  o.policy = DrainPolicy::kCatchup;
  CHECK(dynamic_cast<CatchupScheduler*>(make_scheduler(o).get()) != nullptr);
  o.policy = DrainPolicy::kFifo;
  CHECK(dynamic_cast<FifoScheduler*>(make_scheduler(o).get()) != nullptr);
  o = SchedulerOptions{};
  o.quantum = 9;
  auto s = make_scheduler(o);
  CHECK(dynamic_cast<FairScheduler&>(*s).quantum() == 9);
}

TEST_CASE("Scheduler: eligible events are what next() could still grant") {
  FairScheduler s(4);
  s.set_backlog(acct(1), 10);
  s.set_backlog(acct(2), 7);
  s.set_backlog(acct(3), 5);
  s.set_paused(acct(3), true);
  CHECK(s.eligible_events() == 17);
  auto g = s.next(100);  // open: still eligible for what it has not reserved
  REQUIRE(g);
  CHECK(s.eligible_events() == 17 - g->max_events);
  s.seal();  // in flight: nothing of it is eligible
  CHECK(s.eligible_events() == (g->account == acct(1) ? 7 : 10));
  s.complete(g->account, g->max_events);
  s.set_paused(acct(3), false);
  CHECK(s.eligible_events() == 17 - g->max_events + 5);
}

TEST_CASE("Scheduler: books depth, reservations and in-flight state per account") {
  FairScheduler s(4);
  s.set_backlog(acct(1), 10);
  s.appended(acct(1), 5);
  s.appended(acct(2), 7);
  CHECK(s.total_depth() == 22);
  auto g = s.next(3);
  CHECK(*g == Grant{acct(1), 3});
  CHECK(s.status(acct(1)) == AccountStatus{acct(1), 15, 3, 1, false, true});
  s.seal();
  s.complete(acct(1), 3);
  CHECK(s.status(acct(1)) == AccountStatus{acct(1), 12, 0, 1, false, false});
  CHECK(s.backlogged().size() == 2);
  CHECK(s.status(acct(99)) == AccountStatus{acct(99)});
}

TEST_CASE("Scheduler: set_backlog resynchronises and can empty an account") {
  FairScheduler s(4);
  s.set_backlog(acct(1), 10);
  s.set_backlog(acct(1), 0);
  CHECK(s.eligible_count() == 0);
  CHECK_FALSE(s.next(10));
  CHECK(s.total_depth() == 0);
}

TEST_CASE("Scheduler: complete() before seal() releases an abandoned request") {
  FairScheduler s(4);
  s.set_backlog(acct(1), 10);
  REQUIRE(s.next(4));
  s.complete(acct(1), 0);
  s.seal();
  CHECK_FALSE(s.status(acct(1)).in_flight);
  CHECK(s.next(4)->account == acct(1));
}

}  // namespace
}  // namespace spillway::replay
