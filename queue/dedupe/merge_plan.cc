#include "queue/dedupe/merge_plan.h"

#include <algorithm>
#include <map>
#include <utility>

namespace spillway::queue::dedupe {

int64_t MergePolicy::bucket_ms() const { return std::max<int64_t>(window_ms / 8, 1000); }

std::vector<uint64_t> expired_runs(const std::vector<codec::RunInfo>& runs, int64_t now_ms,
                                   int64_t window_ms) {
  std::vector<uint64_t> out;
  for (const codec::RunInfo& r : runs) {
    if (r.max_seen_ms + window_ms <= now_ms) out.push_back(r.id);
  }
  return out;
}

namespace {

using Group = std::vector<uint64_t>;

std::vector<uint64_t> first_n(Group ids, size_t n) {
  std::sort(ids.begin(), ids.end());
  if (ids.size() > n) ids.resize(n);
  return ids;
}

}  // namespace

std::vector<uint64_t> pick_merge(const std::vector<codec::RunInfo>& runs, int64_t now_ms,
                                 const MergePolicy& policy) {
  if (policy.window_ms <= 0) return {};
  const int64_t span = policy.bucket_ms();
  std::map<int64_t, Group> by_bucket;
  std::map<std::pair<uint8_t, int64_t>, Group> by_level;  // level first: lowest merges first
  for (const codec::RunInfo& r : runs) {
    if (r.max_seen_ms + policy.window_ms <= now_ms) continue;  // about to be dropped
    int64_t bucket = r.max_seen_ms / span;
    by_bucket[bucket].push_back(r.id);
    by_level[{r.level, bucket}].push_back(r.id);
  }
  for (const auto& [bucket, ids] : by_bucket) {
    bool closed = (bucket + 1) * span + policy.close_grace_ms <= now_ms;
    if (closed && ids.size() >= 2) return first_n(ids, policy.max_inputs);
  }
  for (const auto& [level_bucket, ids] : by_level) {
    if (ids.size() >= policy.fanout) return first_n(ids, policy.fanout);
  }
  return {};
}

}  // namespace spillway::queue::dedupe
