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

// kCancelling: cancelled, the writer is still dropping the job's queued events (DropCursor);
// then kCancelled. kDone: every matching event was enqueued (some may still be queued).
enum class ReplayState : uint8_t { kRunning = 1, kDone = 2, kCancelled = 3, kCancelling = 4 };

// Where a cancelled job's drop stands: the next account to visit (an index into the job's
// accounts, or an account id when the job covers every account), the next seq to look at in
// it, and how many of its queued events were looked at (queue/detail/replay_drop.cc).
struct DropCursor {
  uint32_t account = 0;
  uint64_t seq = 0;
  uint64_t scanned = 0;
  bool operator==(const DropCursor&) const = default;
};

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
  uint64_t dropped = 0;    // of those, removed from their queues by a cancel
  DropCursor drop;         // meaningful while kCancelling
  int64_t created_ms = 0;
  int64_t finished_ms = 0;  // when it became done, or cancelled (drop complete); else 0
  bool operator==(const ReplayJob&) const = default;
};

std::string replay_state_name(ReplayState s);

}  // namespace spillway::queue
