#include "common/histogram.h"

#include <doctest/doctest.h>

#include <thread>
#include <vector>

namespace spillway {

TEST_CASE("Histogram: a value on a bound falls into that bound's bucket (le semantics)") {
  Histogram h({1, 2, 4});
  h.observe(1);
  h.observe(1.5);
  h.observe(4);
  h.observe(9);
  HistogramCounts c = h.snapshot();
  CHECK(c.counts == std::vector<uint64_t>{1, 1, 1, 1});
  CHECK(c.count == 4);
  CHECK(c.sum == doctest::Approx(15.5));
}

TEST_CASE("Histogram: counts from many threads add up") {
  Histogram h(Histogram::latency_seconds());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h] {
      for (int i = 0; i < 10000; ++i) h.observe(0.003);
    });
  }
  for (auto& t : threads) t.join();
  HistogramCounts c = h.snapshot();
  CHECK(c.count == 40000);
  CHECK(c.sum == doctest::Approx(120.0));
}

TEST_CASE("Histogram: presets are ascending") {
  for (const auto& b : {Histogram::latency_seconds(), Histogram::powers_of_two()}) {
    for (size_t i = 1; i < b.size(); ++i) CHECK(b[i - 1] < b[i]);
  }
  CHECK(Histogram::powers_of_two().back() == 4096);
}

}  // namespace spillway
