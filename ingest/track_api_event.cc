#include "ingest/track_api_event.h"

#include <cmath>

#include "ingest/event_stamp.h"

namespace spillway::ingest {
namespace {

using json = nlohmann::json;

// Uses nlohmann's own UTF-8 check, so anything accepted here can be dumped later.
bool valid_utf8(std::string_view s) {
  try {
    (void)json(std::string(s)).dump();
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

Status field_error(std::string_view field, std::string_view what) {
  return Status::invalid_argument("field \"" + std::string(field) + "\" " + std::string(what));
}

// Converts a Track API timestamp (unix seconds) to ISO-8601; strings pass through.
Result<json> convert_timestamp(const json& ts) {
  if (ts.is_string()) return ts;
  if (!ts.is_number()) return field_error("timestamp", "must be unix seconds");
  double secs = ts.get<double>();
  if (!std::isfinite(secs) || secs < 0 || secs > 32503680000.0)
    return field_error("timestamp", "is out of range");
  return json(iso8601_ms(static_cast<int64_t>(secs * 1000)));
}

// Shared part of customer and anonymous events.
Result<json> track_event(json body) {
  if (!body.is_object()) return Status::invalid_argument("body must be a JSON object");
  auto name = body.find("name");
  if (name == body.end() || !name->is_string() || name->get_ref<const std::string&>().empty())
    return field_error("name", "is required (non-empty string)");
  // A non-string "type" must be a field error: value() would throw type_error (found by
  // fuzz_track_api; the router then answered 500).
  auto type = body.find("type");
  if (type != body.end() && !type->is_null() && !type->is_string())
    return field_error("type", "must be \"event\", \"page\" or \"screen\"");
  std::string kind = type != body.end() && type->is_string() ? type->get<std::string>() : "event";
  if (kind != "event" && kind != "page" && kind != "screen")
    return field_error("type", "must be \"event\", \"page\" or \"screen\"");
  json out = {{"type", kind == "event" ? "track" : kind}};
  out[kind == "event" ? "event" : "name"] = *name;
  auto data = body.find("data");
  if (data != body.end() && !data->is_null()) {
    if (!data->is_object()) return field_error("data", "must be an object");
    out["properties"] = std::move(*data);
  }
  auto id = body.find("id");
  if (id != body.end() && !id->is_null()) {
    if (!id->is_string() && !id->is_number()) return field_error("id", "must be a string");
    out["messageId"] = id->is_string() ? id->get<std::string>() : id->dump();
  }
  auto ts = body.find("timestamp");
  if (ts != body.end() && !ts->is_null()) {
    auto converted = convert_timestamp(*ts);
    if (!converted) return converted.status();
    out["timestamp"] = std::move(converted).value();
  }
  return out;
}

}  // namespace

Status check_customer_id(std::string_view id) {
  if (id.empty()) return Status::invalid_argument("customer id is empty");
  if (id.size() > 150) return Status::invalid_argument("customer id is longer than 150 bytes");
  if (!valid_utf8(id)) return Status::invalid_argument("customer id is not valid UTF-8");
  return Status::ok();
}

Result<json> track_identify(std::string_view customer_id, json attributes) {
  if (!attributes.is_object())
    return Status::invalid_argument("body must be a JSON object of attributes");
  return json{{"type", "identify"}, {"userId", customer_id}, {"traits", std::move(attributes)}};
}

Result<json> track_customer_event(std::string_view customer_id, json body) {
  auto out = track_event(std::move(body));
  if (out) out.value()["userId"] = customer_id;
  return out;
}

Result<json> track_anonymous_event(json body) {
  json anonymous_id = body.is_object() ? body.value("anonymous_id", json()) : json();
  auto out = track_event(std::move(body));
  if (!out) return out;
  if (anonymous_id.is_string() || anonymous_id.is_number())
    out.value()["anonymousId"] = std::move(anonymous_id);
  else if (!anonymous_id.is_null())
    return field_error("anonymous_id", "must be a string");
  return out;
}

}  // namespace spillway::ingest
