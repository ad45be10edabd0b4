#include "replay/fifo_scheduler.h"

#include <doctest/doctest.h>

#include "test/replay/scheduler_fixture.h"

namespace spillway::replay {
namespace {

using test::acct;
using test::complete_all;
using test::fill;

TEST_CASE("FifoScheduler: drains accounts one by one in the order they became backlogged") {
  FifoScheduler s;
  s.set_backlog(acct(3), 1000);
  s.set_backlog(acct(1), 5);
  s.set_backlog(acct(2), 700);
  auto req = fill(s, 500);
  REQUIRE(req.size() == 1);
  CHECK(req[0] == Grant{acct(3), 500});
  complete_all(s, req);
  req = fill(s, 600);
  REQUIRE(req.size() == 3);
  CHECK(req[0] == Grant{acct(3), 500});
  CHECK(req[1] == Grant{acct(1), 5});
  CHECK(req[2] == Grant{acct(2), 95});
}

TEST_CASE("FifoScheduler: the next account is served while the first is in flight") {
  FifoScheduler s;
  s.set_backlog(acct(1), 1000);
  s.set_backlog(acct(2), 1000);
  auto first = fill(s, 100);
  auto second = fill(s, 100);
  CHECK(second[0].account == acct(2));
  complete_all(s, first);
  complete_all(s, second);
  CHECK(s.next(10)->account == acct(1));
}

TEST_CASE("FifoScheduler: an account that empties goes to the back of the line") {
  FifoScheduler s;
  s.set_backlog(acct(1), 10);
  s.set_backlog(acct(2), 1000);
  complete_all(s, fill(s, 10));
  s.appended(acct(1), 10);
  CHECK(s.next(10)->account == acct(2));
}

}  // namespace
}  // namespace spillway::replay
