#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "common/status.h"
#include "queue/detail/write_op.h"
#include "queue/wal_options.h"

namespace spillway::queue::detail {

// The bounded FIFO between callers (any thread) and the writer thread. Appends and control
// operations have separate bounds, so an ingest flood can never lock out settles or pauses,
// but share one FIFO so that the writer interleaves them in arrival order. Thread-safe.
class WriteQueue {
 public:
  explicit WriteQueue(const WalOptions& options) : options_(options) {}
  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;

  // kUnavailable when the op's bound is reached, kShuttingDown after close().
  Status push(std::unique_ptr<WriteOp> op);
  // Waits until work is pending, the queue is closed, or `deadline`; then takes a group
  // bounded by max_group_ops / max_group_bytes (always at least one op when any is pending).
  // Returns an empty group on timeout, or when closed and empty (then closed() is true).
  std::vector<std::unique_ptr<WriteOp>> take(std::chrono::steady_clock::time_point deadline);
  void close();
  bool closed() const;
  uint64_t full_rejections() const { return full_rejections_.load(); }

 private:
  const WalOptions& options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // Guarded by mu_.
  std::deque<std::unique_ptr<WriteOp>> ops_;
  uint64_t appends_ = 0;
  uint64_t append_bytes_ = 0;
  uint64_t control_ = 0;
  bool closed_ = false;
  std::atomic<uint64_t> full_rejections_{0};
};

}  // namespace spillway::queue::detail
