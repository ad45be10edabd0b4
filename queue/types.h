#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ids.h"

namespace spillway::queue {

// One event handed to the writer. `payload` is the exact bytes that will be stored and later
// delivered (the ingest layer has already validated and normalised them).
struct EventIn {
  std::string payload;
  // Optional idempotency key (Segment messageId, Track API id). Empty: never deduplicated.
  std::string idempotency_key;
  bool operator==(const EventIn&) const = default;
};

// An event refused at ingest (invalid inside a valid batch). It is stored straight into the
// account's dead letters with the reason, in the same commit as the batch's good events.
struct RejectedIn {
  std::string payload;
  std::string reason;
  bool operator==(const RejectedIn&) const = default;
};

struct AppendRequest {
  AccountId account;
  std::vector<EventIn> events;
  std::vector<RejectedIn> rejected;
  // Server receive time (ms since epoch), stored with every event of the request.
  int64_t received_ms = 0;
};

// Outcome for one EventIn, in request order.
struct AppendOutcome {
  Seq seq;                 // the stored seq, or the seq of the first copy for a duplicate
  bool duplicate = false;  // true: an earlier copy inside the dedupe window was kept
  bool operator==(const AppendOutcome&) const = default;
};

struct AppendResult {
  std::vector<AppendOutcome> outcomes;
  uint32_t stored = 0;
  uint32_t duplicates = 0;
  uint32_t rejected = 0;
};

// Set on an event a replay job re-enqueued (docs/storage.md, "Event record"): the job, and the
// event's original seq and receive time, which the delivery envelope carries. job 0: live.
struct ReplayMark {
  uint64_t job = 0;
  Seq seq;
  int64_t received_ms = 0;
  bool operator==(const ReplayMark&) const = default;
};

// A stored event, copied out of LMDB.
struct StoredEvent {
  AccountId account;
  Seq seq;
  int64_t enqueue_ms = 0;
  std::string payload;
  ReplayMark replay;
  bool operator==(const StoredEvent&) const = default;
};

// One event the downstream refused for good; moved to dead letters by a settle.
struct DeadIn {
  Seq seq;
  std::string reason;
  uint32_t attempts = 1;
};

// Records the outcome of one delivered slice of an account: the events in `delivered` are
// deleted, those in `dead` move to dead letters. Seqs are explicit (not a range) so that dead
// letters requeued while the slice was in flight are never deleted undelivered. Seqs no longer
// queued are ignored, which makes a repeated settle harmless.
struct SettleRequest {
  AccountId account;
  std::vector<Seq> delivered;
  std::vector<DeadIn> dead;
};

struct DeadLetter {
  AccountId account;
  Seq seq;
  int64_t enqueue_ms = 0;
  int64_t dead_ms = 0;
  uint32_t attempts = 0;
  bool from_ingest = false;  // refused at ingest (never queued) rather than by the downstream
  std::string reason;
  std::string payload;
  ReplayMark replay;  // kept from the event, so a requeue delivers it marked as before
};

// Kind of credential in the `keys` table.
enum class KeyKind : uint8_t { kWriteKey = 1, kTrackApi = 2 };

struct Credential {
  KeyKind kind = KeyKind::kWriteKey;
  // The secret material: the write key, or "site_id:api_key" for the Track API.
  std::string secret;
};

struct CreateAccountRequest {
  std::string name;
  std::vector<Credential> credentials;
  uint32_t weight = 1;
};

}  // namespace spillway::queue
