#include "replay/concurrency_limit.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <vector>

namespace spillway::replay {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

// Sends as many requests as the limit allows and completes them all with `latency`.
void good_round(ConcurrencyLimit& c, microseconds latency) {
  std::vector<ConcurrencyLimit::Ticket> tickets;
  while (c.can_send()) tickets.push_back(c.on_send());
  for (auto t : tickets) c.on_success(t, latency);
}

void grow(ConcurrencyLimit& c, uint32_t limit) {
  while (c.limit() < limit) good_round(c, milliseconds(10));
}

TEST_CASE("ConcurrencyLimit: starts at the minimum and admits that many requests") {
  ConcurrencyLimit c({2, 10});
  CHECK(c.limit() == 2);
  (void)c.on_send();
  CHECK(c.can_send());
  (void)c.on_send();
  CHECK_FALSE(c.can_send());
  CHECK(c.in_flight() == 2);
}

TEST_CASE("ConcurrencyLimit: grows by one per window of good successes") {
  ConcurrencyLimit c;
  CHECK(c.limit() == 1);
  good_round(c, milliseconds(10));
  CHECK(c.limit() == 2);
  // At limit 2 a window is 2 successes: one is not enough.
  c.on_success(c.on_send(), milliseconds(10));
  CHECK(c.limit() == 2);
  c.on_success(c.on_send(), milliseconds(10));
  CHECK(c.limit() == 3);
}

TEST_CASE("ConcurrencyLimit: never exceeds the maximum") {
  ConcurrencyLimit c({1, 4});
  for (int i = 0; i < 50; ++i) good_round(c, milliseconds(10));
  CHECK(c.limit() == 4);
}

TEST_CASE("ConcurrencyLimit: halves on a failure and never goes below the minimum") {
  ConcurrencyLimit c({2, 64});
  grow(c, 8);
  c.on_failure(c.on_send());
  CHECK(c.limit() == 4);
  c.on_failure(c.on_send());
  CHECK(c.limit() == 2);
  c.on_failure(c.on_send());
  CHECK(c.limit() == 2);
}

TEST_CASE("ConcurrencyLimit: requests failing together decrease the limit once") {
  ConcurrencyLimit c;
  grow(c, 8);
  std::vector<ConcurrencyLimit::Ticket> tickets;
  while (c.can_send()) tickets.push_back(c.on_send());
  for (auto t : tickets) c.on_failure(t);
  CHECK(c.limit() == 4);
  CHECK(c.in_flight() == 0);
}

TEST_CASE("ConcurrencyLimit: a latency jump decreases, steady latency does not") {
  ConcurrencyLimit c;
  grow(c, 8);
  CHECK(c.baseline() == milliseconds(10));
  c.on_success(c.on_send(), milliseconds(19));
  CHECK(c.limit() == 8);
  c.on_success(c.on_send(), milliseconds(45));
  CHECK(c.limit() == 4);
}

TEST_CASE("ConcurrencyLimit: slow successes do not grow the limit") {
  ConcurrencyLimit c;
  grow(c, 4);
  for (int i = 0; i < 5; ++i) good_round(c, milliseconds(100));
  CHECK(c.limit() == 1);
}

TEST_CASE("ConcurrencyLimit: adapts to a downstream that became permanently slower") {
  ConcurrencyLimit c;
  grow(c, 4);
  for (int i = 0; i < 60; ++i) good_round(c, milliseconds(100));
  CHECK(c.limit() >= 4);
}

TEST_CASE(
    "ConcurrencyLimit: the baseline follows the fastest latency quickly, slower ones slowly") {
  ConcurrencyLimit c;
  c.on_success(c.on_send(), milliseconds(50));
  c.on_success(c.on_send(), milliseconds(20));
  CHECK(c.baseline() == milliseconds(20));
  c.on_success(c.on_send(), milliseconds(30));
  CHECK(c.baseline() == microseconds(20'500));
}

// A serial downstream at 2,000 events/s: a full request of 500 events takes 250 ms, a request
// of one live event 2 ms when nothing is queued ahead of it.
TEST_CASE("ConcurrencyLimit: a small request's fast answer does not make full requests slow") {
  ConcurrencyLimit c;
  c.on_success(c.on_send(), milliseconds(2), 1);
  for (int i = 0; i < 20; ++i) {
    std::vector<ConcurrencyLimit::Ticket> tickets;
    while (c.can_send()) tickets.push_back(c.on_send());
    for (auto t : tickets) c.on_success(t, milliseconds(250), 500);
  }
  CHECK(c.limit() > 4);
  CHECK(c.baseline() == milliseconds(250));
}

TEST_CASE("ConcurrencyLimit: queueing is judged against the full request's service time") {
  ConcurrencyLimit c;
  c.on_success(c.on_send(), milliseconds(2), 1);
  c.on_success(c.on_send(), milliseconds(250), 500);
  const uint32_t before = c.limit();
  SUBCASE("a small request queued behind one full request is on time") {
    c.on_success(c.on_send(), milliseconds(251), 1);
    CHECK(c.limit() >= before);
  }
  SUBCASE("a small request queued behind two full requests is a latency jump") {
    c.on_success(c.on_send(), milliseconds(500), 1);
    CHECK(c.limit() <= std::max(1U, before / 2));
  }
  SUBCASE("a full request queued behind two more is a latency jump") {
    c.on_success(c.on_send(), milliseconds(750), 500);
    CHECK(c.limit() <= std::max(1U, before / 2));
  }
}

TEST_CASE("ConcurrencyLimit: reset returns to the minimum; new bounds clamp the limit") {
  ConcurrencyLimit c;
  grow(c, 6);
  c.set_bounds(1, 3);
  CHECK(c.limit() == 3);
  c.reset();
  CHECK(c.limit() == 1);
  c.set_bounds(4, 10);
  CHECK(c.limit() == 4);
}

TEST_CASE("ConcurrencyLimit: judged against an allowed latency, queueing cannot creep in") {
  ConcurrencyLimit c;
  // The baseline rule lets latency creep: each sample only a little slower than the last.
  ConcurrencyLimit creeping;
  for (int i = 0; i < 200; ++i) {
    auto t = creeping.on_send();
    creeping.on_success(t, milliseconds(100 + 2 * i), 100);
  }
  CHECK(creeping.limit() > 10);
  for (int i = 0; i < 200; ++i) {
    auto t = c.on_send();
    c.on_success(t, milliseconds(100 + 2 * i), 100, milliseconds(250));
  }
  CHECK(c.limit() <= 2);  // past 250 ms every success is a decrease
}

}  // namespace
}  // namespace spillway::replay
