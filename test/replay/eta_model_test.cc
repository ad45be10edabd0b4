#include "replay/eta_model.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace spillway::replay {
namespace {

// The definition, O(N^2): T_i = sum_j min(b_j, b_i w_j / w_i) / C.
std::vector<double> brute_fair(const std::vector<BacklogShare>& in, double c) {
  std::vector<double> out;
  for (const auto& i : in) {
    double sum = 0;
    for (const auto& j : in) {
      sum += std::min<double>(j.depth, static_cast<double>(i.depth) * j.weight / i.weight);
    }
    out.push_back(i.depth == 0 ? 0.0 : sum / c);
  }
  return out;
}

// Smallest backlog per weight first: T_i = sum of b_j with b_j/w_j <= b_i/w_i, over C.
std::vector<double> brute_catchup(const std::vector<BacklogShare>& in, double c) {
  std::vector<double> out;
  for (const auto& i : in) {
    double sum = 0;
    for (const auto& j : in) {
      if (j.depth * static_cast<double>(i.weight) <= i.depth * static_cast<double>(j.weight)) {
        sum += static_cast<double>(j.depth);
      }
    }
    out.push_back(i.depth == 0 ? 0.0 : sum / c);
  }
  return out;
}

std::vector<BacklogShare> random_backlog(std::mt19937_64& rng, size_t n, uint32_t max_weight) {
  std::uniform_int_distribution<uint64_t> depth(0, 5000);
  std::uniform_int_distribution<uint32_t> weight(1, max_weight);
  std::vector<BacklogShare> out;
  for (size_t i = 0; i < n; ++i) out.push_back({depth(rng) * depth(rng) / 100, weight(rng)});
  return out;
}

TEST_CASE("EtaModel: matches the O(N^2) definition on random inputs") {
  std::mt19937_64 rng(2024);
  for (uint32_t max_weight : {1U, 5U}) {
    for (int round = 0; round < 20; ++round) {
      const auto in = random_backlog(rng, 1 + round * 13, max_weight);
      const EtaModel model(in);
      const auto fast = model.fair_etas(1234.5);
      const auto slow = brute_fair(in, 1234.5);
      const auto slow_catchup = brute_catchup(in, 1234.5);
      REQUIRE(fast.size() == in.size());
      for (size_t i = 0; i < in.size(); ++i) {
        CHECK(fast[i] == doctest::Approx(slow[i]).epsilon(1e-9));
        CHECK(model.catchup_eta(in[i], 1234.5) == doctest::Approx(slow_catchup[i]).epsilon(1e-9));
      }
    }
  }
}

TEST_CASE("EtaModel: equal weights match fairsim's ps_closed_form and srpt_closed_form") {
  // python3 -c "import fairsim; b=[5,1,100,37,37,2000,0,12,999,3];
  //   print(fairsim.ps_closed_form(b,10.0)); print(fairsim.srpt_closed_form(b,10.0))"
  const std::vector<uint64_t> b = {5, 1, 100, 37, 37, 2000, 0, 12, 999, 3};
  const std::vector<double> ps = {3.9, 0.9, 39.5, 20.6, 20.6, 319.4, 0.0, 8.1, 219.3, 2.5};
  const std::vector<double> srpt = {0.9, 0.1, 19.5, 9.5, 9.5, 319.4, 0.0, 2.1, 119.4, 0.4};
  std::vector<BacklogShare> in;
  for (uint64_t d : b) in.push_back({d, 1});
  const EtaModel model(in);
  const auto fair = model.fair_etas(10.0);
  for (size_t i = 0; i < b.size(); ++i) {
    CHECK(fair[i] == doctest::Approx(ps[i]));
    CHECK(model.catchup_eta(in[i], 10.0) == doctest::Approx(srpt[i]));
  }
  CHECK(model.drain_time(10.0) == doctest::Approx(319.4));
}

TEST_CASE("EtaModel: a doubled weight halves the account's share of the wait") {
  // Two accounts of 100 events; with weight 2 the first drains at 2/3 of C.
  const std::vector<BacklogShare> in = {{100, 2}, {100, 1}};
  const EtaModel model(in);
  CHECK(model.fair_eta(in[0], 1.0) == doctest::Approx(150.0));
  CHECK(model.fair_eta(in[1], 1.0) == doctest::Approx(200.0));
}

TEST_CASE("EtaModel: no capacity means no ETA; an empty account is real-time") {
  const std::vector<BacklogShare> in = {{10, 1}, {0, 1}};
  const EtaModel model(in);
  CHECK(std::isinf(model.fair_eta(in[0], 0.0)));
  CHECK(model.fair_eta(in[1], 0.0) == 0.0);
  CHECK(EtaModel({}).drain_time(5.0) == 0.0);
}

TEST_CASE("EtaModel: 200,000 accounts in O(N log N)") {
  std::mt19937_64 rng(7);
  const auto in = random_backlog(rng, 200'000, 3);
  const auto etas = EtaModel(in).fair_etas(10'000);
  // The largest normalised backlog finishes last, at the total drain time.
  const auto last = std::max_element(etas.begin(), etas.end());
  CHECK(*last == doctest::Approx(EtaModel(in).drain_time(10'000)));
}

}  // namespace
}  // namespace spillway::replay
