#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/result.h"
#include "ingest/event_stamp.h"

namespace spillway::ingest {

// One event ready for the queue: the bytes to store, its idempotency key, and, when the event
// is invalid, why (it then goes to the account's dead letters instead). Copyable value type.
struct PreparedEvent {
  std::string payload;
  std::string idempotency_key;  // messageId given by the client; empty: never deduplicated
  std::string reject_reason;    // non-empty: invalid event
  bool operator==(const PreparedEvent&) const = default;
};

// How strictly to check an event.
enum class EventRules {
  kSegment,  // Segment spec: known type, identity, track needs `event`, alias/group ids
  kObject,   // native /v1/events and normalised Track API events: any JSON object
};

// Request-level inputs of one event.
struct EventDefaults {
  std::string_view type;                    // from the path; empty: none
  const nlohmann::json* context = nullptr;  // batch-level context, merged under the event's
  const nlohmann::json* sent_at = nullptr;  // batch-level sentAt
  std::string where;                        // "batch[3]", "body": names the event in messages
};

// Validates an event (already depth-checked by parse_json) and adds what spillway adds:
// receivedAt (server time), messageId when absent, type from the path when absent; removes a
// writeKey so credentials are never stored. The payload is serialised once.
// Errors (the whole request fails): "too_large: ..." when the serialised event exceeds
// max_event_bytes. An invalid event is not an error: see PreparedEvent::reject_reason.
Result<PreparedEvent> prepare_event(nlohmann::json event, const EventDefaults& defaults,
                                    EventRules rules, const EventStamp& stamp,
                                    uint64_t max_event_bytes);

// Empty when the event satisfies the Segment spec for `type`, else the reason.
std::string segment_violation(const nlohmann::json& event, std::string_view type);

}  // namespace spillway::ingest
