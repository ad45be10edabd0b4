#include "replay/depth_histogram.h"

#include <algorithm>
#include <bit>
#include <limits>

#include "common/assert.h"

namespace spillway::replay {

size_t DepthHistogram::bucket(uint64_t depth, uint32_t weight) {
  return static_cast<size_t>(std::bit_width(depth / std::max(1U, weight)));
}

void DepthHistogram::add(uint64_t depth, uint32_t weight) {
  if (depth == 0) return;
  const size_t b = bucket(depth, weight);
  weight_[b] += std::max(1U, weight);
  depth_[b] += depth;
}

void DepthHistogram::remove(uint64_t depth, uint32_t weight) {
  if (depth == 0) return;
  const size_t b = bucket(depth, weight);
  SPW_ASSERT(weight_[b] >= std::max(1U, weight) && depth_[b] >= depth);
  weight_[b] -= std::max(1U, weight);
  depth_[b] -= depth;
}

// Water filling from the shallowest bucket up: the accounts of a bucket whose mean depth per
// weight is below the level are served in full; the level is then what is left over the weight
// of the deeper buckets.
double DepthHistogram::level(uint64_t events) const {
  auto left = static_cast<double>(events);
  uint64_t above = 0;
  for (uint64_t w : weight_) above += w;
  for (size_t b = 0; b < kBuckets; ++b) {
    if (weight_[b] == 0) continue;
    const double mean = static_cast<double>(depth_[b]) / static_cast<double>(weight_[b]);
    if (left <= mean * static_cast<double>(above)) return left / static_cast<double>(above);
    left -= static_cast<double>(depth_[b]);
    above -= weight_[b];
  }
  return std::numeric_limits<double>::infinity();
}

}  // namespace spillway::replay
