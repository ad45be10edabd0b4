#pragma once

#include <cstdint>
#include <vector>

#include "queue/dedupe/index_codec.h"

// Which sealed runs to drop and which to merge: pure functions of the run directory and the
// time, so the policy is tested without a store. The policy is time-window compaction
// (Cassandra's TWCS): runs belong to the time bucket of their newest key (the window / 8);
// inside the open bucket, `fanout` runs of one level merge into one of the next level, so a
// key is rewritten about log_fanout(bucket keys / seal keys) times; when a bucket closes, its
// runs merge into one. Live runs stay near 8 closed buckets + (fanout - 1) per level of the
// open one, and a run is dropped whole when its newest key leaves the window.
namespace spillway::queue::dedupe {

struct MergePolicy {
  int64_t window_ms = 0;
  unsigned fanout = 4;
  unsigned max_inputs = 16;
  // A bucket closes this long after its end, so that a seal still being written lands first.
  int64_t close_grace_ms = 60'000;
  int64_t bucket_ms() const;
};

// Runs whose newest key's window has ended at `now_ms`.
std::vector<uint64_t> expired_runs(const std::vector<codec::RunInfo>& runs, int64_t now_ms,
                                   int64_t window_ms);
// The ids of the runs to merge next, oldest first, all of one bucket; empty when none.
std::vector<uint64_t> pick_merge(const std::vector<codec::RunInfo>& runs, int64_t now_ms,
                                 const MergePolicy& policy);

}  // namespace spillway::queue::dedupe
