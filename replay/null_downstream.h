#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "replay/downstream.h"

namespace spillway::replay {

// The `null:` sink for benchmarks: accepts every batch at once, inline on the caller's thread
// (the drainer re-posts completions to its strand), and keeps nothing. After stop(), batches
// complete at once as kRetryable. Thread-safe.
class NullDownstream final : public Downstream {
 public:
  NullDownstream() = default;
  NullDownstream(const NullDownstream&) = delete;
  NullDownstream& operator=(const NullDownstream&) = delete;

  void deliver(std::shared_ptr<const DeliveryBatch> batch, Done done) override;
  void stop() override;

  // Events accepted so far.
  uint64_t accepted_events() const { return accepted_events_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> accepted_events_{0};
  std::atomic<bool> stopped_{false};
};

}  // namespace spillway::replay
