#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace spillway::replay {

// One account's share of the backlog, as the ETA model sees it.
struct BacklogShare {
  uint64_t depth = 0;
  uint32_t weight = 1;  // 0 is treated as 1
  bool operator==(const BacklogShare&) const = default;
};

// Time to real-time for each backlogged account, from the reference schedule rather than
// depth / rate guesses. Under weighted max-min fair sharing (what the fair scheduler
// approximates) with drain capacity C events/s, an account with backlog b and weight w is
// done at T(b, w) = sum_j min(b_j, b × w_j / w) / C: every account j drains at a rate
// proportional to w_j until it is empty or until this account is done. With r = b / w this is
// (sum of b_j with r_j <= r + r × sum of w_j with r_j > r) / C, so a snapshot sorted by r with
// prefix sums answers each account in O(log N) and all of them in O(N log N).
// The catchup variant (smallest remaining backlog first, ignoring aging) is
// sum of b_j with r_j <= r, divided by C. Live traffic is not modelled.
// A value type built once per snapshot; copyable; any thread.
class EtaModel {
 public:
  explicit EtaModel(std::span<const BacklogShare> backlog);

  // Seconds until an account of this depth and weight is real-time again; +inf when
  // capacity <= 0, 0 when depth is 0. The account is expected to be part of the snapshot (otherwise
  // its own backlog is not counted).
  double fair_eta(BacklogShare account, double capacity) const;
  double catchup_eta(BacklogShare account, double capacity) const;
  // fair_eta for every account of the snapshot, in input order. O(N log N).
  std::vector<double> fair_etas(double capacity) const;
  // Seconds until the whole snapshot is drained: sum of depths / C.
  double drain_time(double capacity) const;

 private:
  struct Row {
    double ratio;  // depth / weight
    uint64_t depth;
    uint64_t weight;
  };
  // Index of the first row with ratio > r.
  size_t upper(double ratio) const;

  std::vector<BacklogShare> input_;
  std::vector<Row> rows_;                // sorted by ratio
  std::vector<uint64_t> depth_prefix_;   // depth_prefix_[i] = sum of depths of rows_[0, i)
  std::vector<uint64_t> weight_suffix_;  // weight_suffix_[i] = sum of weights of rows_[i, N)
};

}  // namespace spillway::replay
