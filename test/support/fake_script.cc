#include "test/support/fake_script.h"

#include <array>
#include <nlohmann/json.hpp>
#include <utility>

namespace spillway::test {
namespace {

using nlohmann::json;

constexpr std::array<std::pair<FakeMode, std::string_view>, 7> kModes = {{
    {FakeMode::kUp, "up"},
    {FakeMode::kDown, "down"},
    {FakeMode::kError, "error"},
    {FakeMode::kThrottle, "throttle"},
    {FakeMode::kHang, "hang"},
    {FakeMode::kResetAfterBody, "reset_after_body"},
    {FakeMode::kTrickle, "trickle"},
}};

Status bad(const std::string& why) { return Status::invalid_argument("control: " + why); }

Status apply_field(FakeScript& s, const std::string& key, const json& v) {
  if (key == "mode") {
    const auto m = v.is_string() ? parse_mode(v.get<std::string>()) : std::nullopt;
    if (!m) return bad("unknown mode");
    s.mode = *m;
  } else if (key == "capacity_mode") {
    if (!v.is_string() || (v != "delay" && v != "throttle")) return bad("capacity_mode");
    s.capacity_mode = v == "delay" ? CapacityMode::kDelay : CapacityMode::kThrottle;
  } else if (key == "reject_marker") {
    if (!v.is_string()) return bad("reject_marker must be a string");
    s.reject_marker = v.get<std::string>();
  } else if (key == "error_retry_after") {
    if (!v.is_boolean()) return bad("error_retry_after must be a boolean");
    s.error_retry_after = v.get<bool>();
  } else if (!v.is_number() || v.get<double>() < 0) {
    return bad(key + " must be a non-negative number or is unknown");
  } else if (key == "capacity") {
    s.capacity = v.get<double>();
  } else if (key == "request_cost_ms") {
    s.request_cost_ms = v.get<double>();
  } else if (key == "workers") {
    if (v.get<double>() < 1 || v.get<double>() > 256) return bad("workers must be 1..256");
    s.workers = v.get<int>();
  } else if (key == "error_status") {
    s.error_status = v.get<int>();
  } else if (key == "retry_after_s") {
    s.retry_after_s = v.get<int>();
  } else if (key == "max_delay_ms") {
    s.max_delay = std::chrono::milliseconds(v.get<int64_t>());
  } else if (key == "trickle_interval_ms") {
    s.trickle_interval = std::chrono::milliseconds(std::max<int64_t>(1, v.get<int64_t>()));
  } else {
    return bad("unknown key '" + key + "'");
  }
  return Status::ok();
}

}  // namespace

std::string_view mode_name(FakeMode mode) {
  for (const auto& [m, name] : kModes)
    if (m == mode) return name;
  return "?";
}

std::optional<FakeMode> parse_mode(std::string_view name) {
  for (const auto& [m, n] : kModes)
    if (n == name) return m;
  return std::nullopt;
}

Result<FakeScript> apply_script_json(const FakeScript& base, std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("body must be a JSON object");
  FakeScript s = base;
  for (const auto& [key, value] : j.items()) {
    if (key == "clear") continue;  // handled by the server
    if (Status st = apply_field(s, key, value); !st.is_ok()) return st;
  }
  if (s.error_status < 100 || s.error_status > 599) return bad("error_status out of range");
  return s;
}

std::string script_to_json(const FakeScript& s) {
  json j = {{"mode", mode_name(s.mode)},
            {"error_status", s.error_status},
            {"retry_after_s", s.retry_after_s},
            {"error_retry_after", s.error_retry_after},
            {"reject_marker", s.reject_marker},
            {"capacity", s.capacity},
            {"capacity_mode", s.capacity_mode == CapacityMode::kDelay ? "delay" : "throttle"},
            {"request_cost_ms", s.request_cost_ms},
            {"workers", s.workers},
            {"max_delay_ms", s.max_delay.count()},
            {"trickle_interval_ms", s.trickle_interval.count()}};
  return j.dump();
}

}  // namespace spillway::test
