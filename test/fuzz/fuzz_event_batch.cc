// libFuzzer target: the event/batch parser. Bytes -> bounded SAX JSON (and NDJSON) parse ->
// every element of "batch" (or the body itself) through prepare_event with Segment rules.
// Invariants checked: no crash/UB/leak; a prepared payload is valid JSON within the size bound.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "common/assert.h"
#include "ingest/event_normaliser.h"
#include "ingest/event_stamp.h"
#include "ingest/json_reader.h"

using namespace spillway::ingest;

namespace {

constexpr uint64_t kMaxEventBytes = 64 << 10;

void prepare_all(const nlohmann::json& body, MessageIdSource& ids) {
  const EventStamp stamp = make_stamp(1700000000123, ids);
  const nlohmann::json* events = &body;
  if (body.is_object() && body.contains("batch")) events = &body["batch"];
  if (!events->is_array()) return;
  for (const auto& e : *events) {
    EventDefaults d;
    d.type = "track";
    d.context = body.is_object() && body.contains("context") ? &body["context"] : nullptr;
    d.where = "batch[i]";
    auto p = prepare_event(e, d, EventRules::kSegment, stamp, kMaxEventBytes);
    if (!p || !p->reject_reason.empty()) continue;
    SPW_ASSERT(p->payload.size() <= kMaxEventBytes);
    SPW_ASSERT(!nlohmann::json::parse(p->payload, nullptr, false).is_discarded());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static MessageIdSource ids;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto doc = parse_json(text, 32)) prepare_all(*doc, ids);
  if (auto lines = parse_ndjson(text, 32))
    for (const auto& v : *lines) prepare_all(v, ids);
  return 0;
}
