#pragma once

#include <lmdb.h>

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "common/histogram.h"
#include "common/logger.h"

namespace spillway::queue::dedupe {

class DedupeIndex;

// When the writer thread runs the idempotency index's maintenance steps (seal, merge, expire,
// collect; each one bounded transaction) between its group commits. Under load the index gets
// a quarter of the writer's time: after a step of d ms the next waits max(5 ms, 3d). When
// ingest outruns the merges and live runs pile up (every keyed event probes each run), its
// share rises, as an LSM tree slows writes when level 0 grows: half past kRunsSlow runs, four
// fifths past kRunsStall. Back to back while the recent keys are over their bound (appends
// wait then: memory stays bounded) and while the writer is idle (nothing else to do; an append
// that arrives waits for one step at most), except after a failed step: a step that keeps
// failing (a full disk) must not spin. Writer thread only; step_latency() from any thread.
class MaintenancePacer {
 public:
  // How long the writer may wait for operations before it must come back for a step.
  std::chrono::milliseconds wait(DedupeIndex& index, int64_t now_ms, bool idle,
                                 std::chrono::milliseconds otherwise) const;
  // Runs the steps that are due.
  void run(DedupeIndex& index, MDB_env* env, int64_t now_ms, bool idle, Logger& log);
  HistogramCounts step_latency() const { return step_seconds_.snapshot(); }

  using SteadyClock = std::chrono::steady_clock;
  static constexpr size_t kRunsSlow = 16;
  static constexpr size_t kRunsStall = 24;
  // The pause after a step that took `took` with `runs` live runs (pure; the policy above).
  static SteadyClock::duration gap_after(SteadyClock::duration took, size_t runs);

 private:
  static constexpr auto kStepGap = std::chrono::milliseconds(5);

  SteadyClock::time_point next_step_{};
  bool failed_ = false;
  Histogram step_seconds_{Histogram::latency_seconds()};
};

}  // namespace spillway::queue::dedupe
