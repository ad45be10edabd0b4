#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace spillway::replay {

// Backlogged accounts bucketed by depth per unit of weight (powers of two), so the water level
// of max-min fair sharing can be found in O(buckets) whatever the number of accounts. Owned by
// the Scheduler, on the drainer's strand; not thread-safe. Copyable value type.
class DepthHistogram {
 public:
  void add(uint64_t depth, uint32_t weight);
  // Precondition: the same (depth, weight) was added.
  void remove(uint64_t depth, uint32_t weight);
  // The level L, in events per unit of weight, at which sum_j min(depth_j, weight_j × L) equals
  // `events`: the share each account would get if `events` were split max-min fairly. Each
  // bucket is approximated by its mean. Infinity when the whole backlog is at most `events`.
  double level(uint64_t events) const;

 private:
  static constexpr size_t kBuckets = 65;
  static size_t bucket(uint64_t depth, uint32_t weight);

  std::array<uint64_t, kBuckets> weight_{};  // sum of the weights of the accounts in a bucket
  std::array<uint64_t, kBuckets> depth_{};   // sum of their depths
};

}  // namespace spillway::replay
