#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/ids.h"

namespace spillway::queue {

// What a replay job re-enqueues: the retained events delivered in [from_ms, to_ms], of the
// given accounts (all when empty), types and event names (any when empty). Copyable value.
struct ReplaySpec {
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  std::vector<AccountId> accounts;
  std::vector<std::string> types;   // the event's "type" (track, identify, ...)
  std::vector<std::string> events;  // the event's "event" name (track events)
  bool operator==(const ReplaySpec&) const = default;
};

enum class ReplayState : uint8_t { kRunning = 1, kDone = 2, kCancelled = 3 };

// A replay job as stored in `replay_jobs` (docs/storage.md, "Replay jobs"). `cursor` is the
// next retained id to look at; `end_id` bounds the job to what was retained when it started,
// so events the replay itself delivers again are never replayed by it.
struct ReplayJob {
  uint64_t id = 0;
  ReplaySpec spec;
  ReplayState state = ReplayState::kRunning;
  uint64_t cursor = 0;
  uint64_t end_id = 0;
  uint64_t matched = 0;    // retained events that matched so far
  uint64_t enqueued = 0;   // re-enqueued into their accounts' queues
  uint64_t delivered = 0;  // of those, acknowledged by the downstream
  int64_t created_ms = 0;
  int64_t finished_ms = 0;  // done or cancelled; 0 while running
  bool operator==(const ReplayJob&) const = default;
};

std::string replay_state_name(ReplayState s);

}  // namespace spillway::queue
