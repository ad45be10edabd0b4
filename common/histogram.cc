#include "common/histogram.h"

#include <algorithm>
#include <cmath>

namespace spillway {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  std::sort(bounds_.begin(), bounds_.end());
}

void Histogram::observe(double value) {
  // Bucket i holds bounds[i-1] < v <= bounds[i] (Prometheus `le` semantics).
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  counts_[static_cast<size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  double nano = std::max(0.0, value) * 1e9;
  sum_nano_.fetch_add(static_cast<uint64_t>(std::llround(nano)), std::memory_order_relaxed);
}

HistogramCounts Histogram::snapshot() const {
  HistogramCounts out;
  out.bounds = bounds_;
  out.counts.resize(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    out.counts[i] = counts_[i].load(std::memory_order_relaxed);
    total += out.counts[i];
  }
  // Report the bucket total as the count so `le="+Inf"` always equals `_count`.
  out.count = total;
  out.sum = static_cast<double>(sum_nano_.load(std::memory_order_relaxed)) / 1e9;
  return out;
}

std::vector<double> Histogram::latency_seconds() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

std::vector<double> Histogram::powers_of_two() {
  std::vector<double> b;
  for (double v = 1; v <= 4096; v *= 2) b.push_back(v);
  return b;
}

}  // namespace spillway
