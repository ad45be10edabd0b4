#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "replay/downstream.h"

namespace spillway::replay {

// The wire encoding shared by the HTTP and file sinks (docs/sink.md, format version 1).
// Free functions without state: callable from any thread.
//
// Per-event object, keys in this order:
//   {"account":"<name>","seq":N,"received_at":"<RFC 3339 UTC, ms>","received_at_ms":N,
//    "node":"<node id>" (only when the batch names one),"event":<payload bytes, verbatim>}
// The stored payload is already-valid JSON and is embedded byte for byte, never
// re-serialized; an empty payload is written as `null` so the output stays valid JSON.

// `s` as a quoted JSON string. Control characters are escaped; bytes that are not valid
// UTF-8 become U+FFFD, so the result is always valid JSON.
std::string json_quote(std::string_view s);

// The HTTP request body: {"batch_id":"...","events":[<event object>, ...]}.
std::string encode_batch_body(const DeliveryBatch& batch);

// The file sink's NDJSON: one line per event, each the event object with "batch_id" as its
// first key, every line ending in '\n'.
std::string encode_ndjson_lines(const DeliveryBatch& batch);

}  // namespace spillway::replay
