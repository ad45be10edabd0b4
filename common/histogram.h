#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace spillway {

// A histogram at one moment: cumulative-free bucket counts (counts[i] = observations with
// bounds[i-1] < v <= bounds[i]; the last entry counts v > bounds.back()), their sum and total.
// Copyable value type.
struct HistogramCounts {
  std::vector<double> bounds;    // upper bounds, ascending
  std::vector<uint64_t> counts;  // bounds.size() + 1 entries
  double sum = 0;
  uint64_t count = 0;
};

// Fixed-bucket histogram for metrics (Prometheus style). observe() is lock-free (one relaxed
// atomic add per bucket, count and sum) and safe from any thread; snapshot() may run
// concurrently and then sees a near-consistent view (each field is exact, the fields may be a
// few observations apart). Bounds are fixed at construction. Not copyable.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void observe(double value);
  HistogramCounts snapshot() const;

  // Latency buckets in seconds: 100 us .. 10 s.
  static std::vector<double> latency_seconds();
  // Powers of two 1 .. 4096 (group-commit sizes, batch sizes).
  static std::vector<double> powers_of_two();

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<uint64_t> count_{0};
  // Sum in units of 1e-9 (nanoseconds for latencies): integral, so addition stays atomic.
  std::atomic<uint64_t> sum_nano_{0};
};

}  // namespace spillway
