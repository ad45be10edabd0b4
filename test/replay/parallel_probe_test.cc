#include "replay/parallel_probe.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <queue>
#include <random>
#include <vector>

namespace spillway::replay {
namespace {

using std::chrono::milliseconds;
using Time = ParallelProbe::TimePoint;

// A downstream of `workers` servers side by side, together `capacity` events/s: a request of n
// events holds one server for fixed_ms + n × workers / capacity, times a noise factor; requests
// that find every server busy wait in its queue. The drainer's side is a closed loop: it keeps
// max(aimd, probe floor) requests in flight, `aimd` standing for what AIMD holds when it reads
// the latency of k requests in flight as queueing (2-3: README, "parallel downstream").
struct Simulation {
  int workers = 1;
  double capacity = 5000;
  double fixed_ms = 5;
  uint32_t aimd = 2;
  uint64_t events = 400;
  double noise = 0.1;

  struct Result {
    double rate_last_half = 0;  // events/s delivered in the second half
    uint32_t max_floor = 1;
    uint32_t final_kept = 1;
    int probes = 0;  // probes started
  };

  Result run(ParallelProbe& probe, double seconds, uint32_t seed = 7) const {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> jitter(1 - noise, 1 + noise);
    const Time start{};
    std::vector<Time> free_at(static_cast<size_t>(workers), start);
    using Done = std::pair<Time, uint64_t>;  // (completion, ticket)
    std::priority_queue<Done, std::vector<Done>, std::greater<>> in_flight;
    uint64_t next_ticket = 0;
    Time now = start;
    auto send = [&] {
      auto w = std::min_element(free_at.begin(), free_at.end());
      const double ms =
          (fixed_ms + 1000.0 * static_cast<double>(events) * workers / capacity) * jitter(rng);
      Time begin = std::max(*w, now);
      *w = begin + std::chrono::microseconds(static_cast<int64_t>(ms * 1000));
      in_flight.emplace(*w, next_ticket++);
    };
    Result r;
    uint64_t delivered_late = 0;
    const Time end = start + milliseconds(static_cast<int64_t>(seconds * 1000));
    const Time half = start + milliseconds(static_cast<int64_t>(seconds * 500));
    while (now < end) {
      while (in_flight.size() < std::max(aimd, probe.floor())) send();
      auto [done, ticket] = in_flight.top();
      in_flight.pop();
      now = done;
      if (now >= half) delivered_late += events;
      const bool was_probing = probe.probing();
      probe.on_full(ticket, events, now, aimd, next_ticket);
      if (probe.probing() && !was_probing) r.probes += 1;
      r.max_floor = std::max(r.max_floor, probe.floor());
    }
    r.rate_last_half = static_cast<double>(delivered_late) / (seconds / 2);
    r.final_kept = probe.kept_floor();
    return r;
  }
};

}  // namespace

TEST_CASE("ParallelProbe: four parallel workers get four requests in flight and all of C") {
  Simulation sim;
  sim.workers = 4;
  ParallelProbe probe;
  auto r = sim.run(probe, 120);
  CHECK(r.final_kept >= 4);
  CHECK(r.final_kept <= 5);
  CHECK(r.rate_last_half > 0.9 * sim.capacity);
  // Without the probe, the two in flight AIMD holds serve half of C.
  ParallelProbe off({.interval = milliseconds(1'000'000'000)});
  auto base = sim.run(off, 120);
  CHECK(base.final_kept == 1);
  CHECK(base.rate_last_half < 0.6 * sim.capacity);
}

TEST_CASE("ParallelProbe: a serial downstream keeps no floor, and probes ever more rarely") {
  Simulation sim;  // one worker: one more request in flight only waits longer
  ParallelProbe probe;
  auto r = sim.run(probe, 300);
  CHECK(r.final_kept == 1);
  CHECK(r.max_floor == sim.aimd + 1);  // it tried, and no higher
  CHECK(r.rate_last_half > 0.9 * sim.capacity);
  // Backing off: 5, 10, 20, 40, 60, 60 ... s between failed probes (each a few seconds), so
  // probing takes a small share of the time: 7 probes in these 300 s, not 40.
  CHECK(r.probes >= 5);
  CHECK(r.probes <= 8);
}

TEST_CASE("ParallelProbe: two workers stop at two or three, eight climb to eight or nine") {
  for (int workers : {2, 8}) {
    CAPTURE(workers);
    Simulation sim;
    sim.workers = workers;
    sim.aimd = 1;
    ParallelProbe probe;
    auto r = sim.run(probe, 180);
    CHECK(r.final_kept >= static_cast<uint32_t>(workers));
    CHECK(r.final_kept <= static_cast<uint32_t>(workers) + 1);
    CHECK(r.rate_last_half > 0.9 * sim.capacity);
  }
}

TEST_CASE("ParallelProbe: a failure drops the floor; an interruption drops only the probe") {
  Simulation sim;
  sim.workers = 4;
  ParallelProbe probe;
  (void)sim.run(probe, 120);
  REQUIRE(probe.kept_floor() >= 4);
  const Time later = Time{} + std::chrono::seconds(500);
  const uint32_t kept = probe.kept_floor();
  probe.interrupt(later);
  CHECK(probe.floor() == kept);
  CHECK_FALSE(probe.probing());
  probe.on_failure(later);
  CHECK(probe.floor() == 1);
  CHECK(probe.kept_floor() == 1);
}

TEST_CASE("ParallelProbe: completions of requests sent before the probe do not count for it") {
  ParallelProbe probe(
      {.window_requests = 2, .window_min = milliseconds(1), .interval = milliseconds(1)});
  Time t{};
  uint64_t ticket = 0;
  auto complete = [&](uint64_t events, uint32_t limit) {
    t += milliseconds(100);
    probe.on_full(ticket, events, t, limit, ticket + 10);
    ticket += 1;
  };
  complete(100, 2);  // starts the clock
  for (int i = 0; i < 20 && !probe.probing(); ++i) complete(100, 2);
  REQUIRE(probe.probing());
  REQUIRE(probe.floor() == 3);
  // Far more events per completion, but from tickets sent under the old floor: ignored.
  for (int i = 0; i < 9; ++i) complete(1000, 3);  // tickets below the probe's
  CHECK(probe.probing());
  CHECK(probe.floor() == 3);
}

}  // namespace spillway::replay
