#pragma once

#include <cstdint>
#include <string>

#include "common/ids.h"

namespace spillway::queue {

// Per-account state, stored in the `accounts` table and mirrored in memory by AccountTable.
// Every counter is changed in the same write transaction as the events it counts, so it
// always equals what a cursor scan finds. Copyable value type.
struct AccountRecord {
  AccountId id;
  std::string name;
  uint64_t next_seq = 1;    // next seq to assign; never reused, even after a crash
  uint64_t head_seq = 0;    // seq of the first queued event, 0 when empty
  uint64_t depth = 0;       // queued events
  uint64_t bytes = 0;       // queued payload bytes
  int64_t oldest_ms = 0;    // enqueue time of the first queued event, 0 when empty
  uint64_t dead_count = 0;  // dead letters
  uint64_t dead_bytes = 0;  // dead letter payload bytes
  uint32_t weight = 1;      // fair-share weight (>= 1)
  bool paused = false;      // HOLD: accepted and queued, not delivered
  int64_t created_ms = 0;
  bool operator==(const AccountRecord&) const = default;
};

}  // namespace spillway::queue
