#include "ingest/event_normaliser.h"

#include <array>

namespace spillway::ingest {
namespace {

using json = nlohmann::json;

constexpr std::array<std::string_view, 6> kSegmentTypes = {"track",  "identify", "page",
                                                           "screen", "group",    "alias"};

bool is_segment_type(std::string_view t) {
  for (auto k : kSegmentTypes)
    if (k == t) return true;
  return false;
}

// An id field is present when it is a non-empty string or a number.
bool has_id(const json& event, const char* field) {
  auto it = event.find(field);
  if (it == event.end()) return false;
  if (it->is_string()) return !it->get_ref<const std::string&>().empty();
  return it->is_number();
}

std::string id_string(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

void merge_context(json& event, const json* context) {
  if (context == nullptr || !context->is_object()) return;
  auto it = event.find("context");
  if (it == event.end() || it->is_null()) {
    event["context"] = *context;
    return;
  }
  if (!it->is_object()) return;
  for (const auto& [key, value] : context->items())
    if (!it->contains(key)) (*it)[key] = value;
}

// Resolves `type`: the event's own, else the path's. Empty reason when fine.
std::string resolve_type(json& event, std::string_view path_type, std::string& type) {
  auto it = event.find("type");
  if (it == event.end()) {
    if (!path_type.empty()) event["type"] = std::string(path_type);
    type = std::string(path_type);
    return "";
  }
  if (!it->is_string()) return "type must be a string";
  type = it->get<std::string>();
  return "";
}

// Applies messageId rules; returns the reason when the given messageId is unusable.
std::string apply_message_id(json& event, const EventStamp& stamp, std::string& key) {
  auto it = event.find("messageId");
  if (it == event.end() || it->is_null()) {
    event["messageId"] = stamp.ids->next();
    return "";
  }
  if (!it->is_string() && !it->is_number()) return "messageId must be a string";
  key = id_string(*it);
  if (key.empty()) return "messageId must not be empty";
  if (key.size() > 1024) return "messageId is longer than 1024 bytes";
  return "";
}

}  // namespace

std::string segment_violation(const json& event, std::string_view type) {
  if (type.empty()) return "missing type";
  if (!is_segment_type(type)) return "unknown type \"" + std::string(type.substr(0, 32)) + "\"";
  bool identity = has_id(event, "userId") || has_id(event, "anonymousId");
  if (type == "alias") {
    if (!has_id(event, "previousId")) return "alias needs previousId";
    if (!identity) return "alias needs userId";
    return "";
  }
  if (!identity) return "missing userId or anonymousId";
  if (type == "group" && !has_id(event, "groupId")) return "group needs groupId";
  if (type == "track") {
    auto it = event.find("event");
    if (it == event.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
      return "track needs a non-empty string field \"event\"";
  }
  return "";
}

Result<PreparedEvent> prepare_event(json event, const EventDefaults& defaults, EventRules rules,
                                    const EventStamp& stamp, uint64_t max_event_bytes) {
  PreparedEvent out;
  if (!event.is_object()) {
    out.reject_reason = "event is not a JSON object";
  } else {
    event.erase("writeKey");
    std::string type;
    out.reject_reason = resolve_type(event, defaults.type, type);
    if (out.reject_reason.empty() && rules == EventRules::kSegment)
      out.reject_reason = segment_violation(event, type);
    if (out.reject_reason.empty())
      out.reject_reason = apply_message_id(event, stamp, out.idempotency_key);
    merge_context(event, defaults.context);
    if (defaults.sent_at != nullptr && !event.contains("sentAt"))
      event["sentAt"] = *defaults.sent_at;
    event["receivedAt"] = stamp.received_at;
  }
  if (!out.reject_reason.empty()) {
    out.reject_reason = defaults.where + ": " + out.reject_reason;
    out.idempotency_key.clear();
  }
  out.payload = event.dump();
  if (out.payload.size() > max_event_bytes) {
    return Status::invalid_argument("too_large: " + defaults.where + " is " +
                                    std::to_string(out.payload.size()) + " bytes, over the " +
                                    std::to_string(max_event_bytes) + "-byte event limit");
  }
  return out;
}

}  // namespace spillway::ingest
