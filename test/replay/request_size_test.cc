#include "replay/request_size.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <random>
#include <vector>

namespace spillway::replay {
namespace {

using std::chrono::milliseconds;
using Time = RequestSize::TimePoint;

// A downstream that serves one request at a time: a request of n events costs fixed_ms +
// n / capacity seconds, times a noise factor; requests sent while it is busy wait in its queue.
class SimulatedDownstream {
 public:
  SimulatedDownstream(double fixed_ms, double capacity)
      : fixed_ms_(fixed_ms), capacity_(capacity) {}
  void set_capacity(double capacity) { capacity_ = capacity; }
  void set_noise(double fraction) { noise_ = fraction; }
  // Each answer is seen late by an exponential delay of this mean (at most 5x): a loaded
  // host, where completions are handled some time after they arrive.
  void set_observation_delay(double mean_ms) { delay_ms_ = mean_ms; }
  // Requests of more than this many events so far.
  int larger_than(uint64_t events) const {
    return static_cast<int>(
        std::count_if(sizes_.begin(), sizes_.end(), [&](uint64_t n) { return n > events; }));
  }

  // Sends `in_flight` requests back to back (each as soon as one completes) for `requests`
  // completions, feeding the controller. Returns the mean size of the last quarter.
  double run(RequestSize& size, int requests, int in_flight = 1) {
    std::deque<std::pair<uint64_t, Time>> queue;  // (events, sent), served in order
    double sum = 0;
    int counted = 0;
    for (int i = 0; i < requests; ++i) {
      while (static_cast<int>(queue.size()) < in_flight) queue.emplace_back(size.events(), now_);
      auto [n, sent] = queue.front();
      queue.pop_front();
      free_at_ = std::max(free_at_, sent) + cost(n);
      now_ = std::max(now_, free_at_ + observation_delay());
      size.on_success(n, sent, now_);
      sizes_.push_back(n);
      CHECK(size.events() >= size.options().min_events);
      CHECK(size.events() <= size.options().max_events);
      if (i >= requests * 3 / 4) sum += static_cast<double>(n), ++counted;
    }
    return sum / counted;
  }

 private:
  Time::duration cost(uint64_t n) {
    const double ms = (fixed_ms_ + 1000.0 * static_cast<double>(n) / capacity_) * factor();
    return std::chrono::duration_cast<Time::duration>(
        std::chrono::duration<double, std::milli>(ms));
  }
  Time::duration observation_delay() {
    if (delay_ms_ == 0) return {};
    const double ms =
        std::min(5 * delay_ms_, std::exponential_distribution<double>(1.0 / delay_ms_)(rng_));
    return std::chrono::duration_cast<Time::duration>(
        std::chrono::duration<double, std::milli>(ms));
  }
  double factor() {
    if (noise_ == 0) return 1.0;
    return std::uniform_real_distribution<double>(1 - noise_, 1 + noise_)(rng_);
  }

  double fixed_ms_;
  double capacity_;
  double noise_ = 0;
  double delay_ms_ = 0;
  std::vector<uint64_t> sizes_;
  std::mt19937 rng_{42};
  Time now_{std::chrono::seconds(1000)};
  Time free_at_{};
};

RequestSizeOptions target_ms(int ms) {
  RequestSizeOptions o;
  o.target = milliseconds(ms);
  return o;
}

TEST_CASE("RequestSize: converges to the size that takes the target time") {
  RequestSize size(target_ms(150));
  SimulatedDownstream down(5, 5000);
  down.set_noise(0.1);
  // (150 - 5) ms at 0.2 ms per event.
  CHECK(down.run(size, 200) == doctest::Approx(725).epsilon(0.1));
  CHECK(size.fixed_ms() == doctest::Approx(5).epsilon(0.6));
  CHECK(size.per_event_us() == doctest::Approx(200).epsilon(0.05));
}

// Slow start: from the first request's 100 events the size doubles per sample until it reaches
// the model's size, then grows by at most 1.25x. At 1.25x from the start, the size after six
// requests was 438 events here (kStartGrowth set to 1.25); the drill's first second ran in requests
// of 25-850 events.
TEST_CASE("RequestSize: slow start reaches the target's size within a few requests") {
  RequestSize size(target_ms(250));
  SimulatedDownstream down(5, 5000);
  down.set_noise(0.05);
  down.run(size, 6);
  // (250 - 5) ms at 0.2 ms per event: 1,225 events, +-15% dither.
  CHECK(size.events() >= 900);
  // It does not overshoot past twice the model's size, and settles there.
  CHECK(down.larger_than(2 * 1225) == 0);
  CHECK(down.run(size, 200) == doctest::Approx(1225).epsilon(0.1));
  CHECK(down.larger_than(static_cast<uint64_t>(1.5 * 1225)) == 0);
}

// A drain usually starts against a downstream that is down: the failures before it comes up
// carry no sample and leave slow start on (the capacity matrix's drill starts that way).
TEST_CASE("RequestSize: failures before the first success keep slow start") {
  RequestSize size(target_ms(250));
  const Time t0{std::chrono::seconds(1000)};
  for (int i = 0; i < 5; ++i) size.on_failure(t0 + milliseconds(i), t0 + milliseconds(i + 1));
  SimulatedDownstream down(5, 5000);
  down.run(size, 6);
  CHECK(size.events() >= 900);
}

TEST_CASE("RequestSize: the size follows the downstream's speed") {
  RequestSize size(target_ms(150));
  SimulatedDownstream down(5, 1000);
  CHECK(down.run(size, 200) == doctest::Approx(145).epsilon(0.1));
  down.set_capacity(10000);
  CHECK(down.run(size, 200) == doctest::Approx(1450).epsilon(0.1));
}

TEST_CASE("RequestSize: reacts to a speed change within a few seconds") {
  RequestSize size(target_ms(150));
  SimulatedDownstream down(5, 4000);
  down.run(size, 200);
  const double before = size.per_event_us();
  down.set_capacity(2000);  // halves: about 30 requests of 150 ms is 4.5 s
  down.run(size, 30);
  CHECK(size.per_event_us() == doctest::Approx(2 * before).epsilon(0.1));
  CHECK(size.events() ==
        doctest::Approx(290 * (size.samples() % 2 == 0 ? 1.15 : 0.85)).epsilon(0.15));
  down.set_capacity(4000);  // doubles back
  down.run(size, 30);
  CHECK(size.per_event_us() == doctest::Approx(before).epsilon(0.1));
}

TEST_CASE("RequestSize: stays within its bounds at any speed, with noise") {
  RequestSizeOptions o = target_ms(150);
  o.min_events = 40;
  o.max_events = 3000;
  SimulatedDownstream down(5, 1'000'000);
  down.set_noise(0.5);
  RequestSize size(o);
  CHECK(down.run(size, 100) >= 2500);  // very fast: at the upper bound (dither goes below it)
  down.set_capacity(50);  // 20 ms per event: the target allows 7 events, the minimum is 40
  down.set_noise(0.1);    // (with 50% noise the fixed part is too blurred to expect 40 exactly)
  down.run(size, 100);
  CHECK(size.events() == 40);
}

TEST_CASE("RequestSize: a large fixed cost makes requests larger than the target alone") {
  RequestSizeOptions o = target_ms(150);
  o.max_events = 2000;
  RequestSize size(o);
  SimulatedDownstream down(100, 5000);  // 100 ms per request: 250 events would spend 2/3 on it
  // The smallest n within 3% of the throughput at 2,000 events: about 1,730.
  CHECK(down.run(size, 200) == doctest::Approx(1730).epsilon(0.1));
}

TEST_CASE("RequestSize: timing noise does not make requests of several times the target") {
  // The drill that missed G5 (C = 5,000, 5 ms per request): answers handled late on a loaded
  // host bent the fitted slope, the fixed part read 19-31 ms, and the efficiency floor asked
  // for 2,200-2,800 events with the target's size at 1,225. Before the probes, the floor's
  // confidence bound and the growth limit, 9-17% of these requests exceeded 1.6x the target's
  // size (mean delay 20 ms, 2 or 4 in flight).
  for (int in_flight : {2, 4}) {
    RequestSize size(target_ms(250));
    SimulatedDownstream down(5, 5000);
    down.set_observation_delay(20);
    down.run(size, 3000, in_flight);
    CAPTURE(in_flight);
    CHECK(down.larger_than(1960) < 30);  // 1%
  }
}

TEST_CASE("RequestSize: a downstream that slows down tenfold gets small requests at once") {
  // The history of a replay went to a fast downstream, then it slowed: before, the first
  // samples were skipped as implausible (over 4x their modelled cost) until three came in a
  // row, and requests stayed at the old size, seconds each, filling the downstream's queue.
  RequestSize size(target_ms(250));
  SimulatedDownstream down(5, 20000);
  down.run(size, 200);
  CHECK(size.events() > 3500);
  down.set_capacity(1000);  // 20x slower: the target allows about 245 events
  down.run(size, 1);
  CHECK(size.events() < 400);
  down.run(size, 60);  // the model follows, and the size stays near the target's
  CHECK(size.per_event_us() == doctest::Approx(1000).epsilon(0.15));
  CHECK(size.events() < 400);
}

TEST_CASE("RequestSize: a large fixed cost still raises the size under noise") {
  RequestSizeOptions o = target_ms(150);
  o.max_events = 2000;
  RequestSize size(o);
  SimulatedDownstream down(100, 5000);
  down.set_noise(0.1);
  down.set_observation_delay(10);
  // The floor acts on the fixed part minus two standard errors: 100 ms is sure enough.
  CHECK(down.run(size, 400, 2) > 1200);
}

TEST_CASE("RequestSize: requests waiting in the downstream's queue do not shrink the size") {
  RequestSize size(target_ms(150));
  SimulatedDownstream down(5, 5000);
  CHECK(down.run(size, 200, 4) == doctest::Approx(725).epsilon(0.1));
}

TEST_CASE("RequestSize: an answer observed right after another does not collapse the model") {
  RequestSize size(target_ms(150));
  SimulatedDownstream down(5, 5000);
  down.run(size, 100);
  const double before = size.per_event_us();
  // Two answers handled back to back: the second looks as if it cost nothing.
  const Time t{std::chrono::hours(1)};
  const auto cost = std::chrono::duration_cast<Time::duration>(
      std::chrono::duration<double, std::milli>(size.cost_ms(size.events())));
  size.on_success(size.events(), t, t + cost);
  size.on_success(size.events(), t, t + cost + milliseconds(1));
  CHECK(size.per_event_us() == doctest::Approx(before).epsilon(0.1));
  CHECK(size.events() < 1000);
}

TEST_CASE("RequestSize: small requests of live events do not move the model") {
  RequestSize size(target_ms(150));
  SimulatedDownstream down(5, 5000);
  down.run(size, 100);
  const double a = size.fixed_ms();
  const double b = size.per_event_us();
  // Charged with the wait for a full request ahead of them, several in a row.
  Time t{std::chrono::hours(1)};
  for (int i = 0; i < 5; ++i, t += milliseconds(500)) size.on_success(10, t, t + milliseconds(250));
  CHECK(size.fixed_ms() == doctest::Approx(a));
  CHECK(size.per_event_us() == doctest::Approx(b));
}

TEST_CASE("RequestSize: target 0 is the fixed size of the upper bound") {
  RequestSizeOptions o = target_ms(0);
  o.max_events = 2000;
  RequestSize size(o);
  SimulatedDownstream down(5, 1000);
  CHECK(down.run(size, 20) == 2000);
}

}  // namespace
}  // namespace spillway::replay
