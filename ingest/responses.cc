#include "ingest/responses.h"

#include <nlohmann/json.hpp>

namespace spillway::ingest {
namespace {

using json = nlohmann::json;

constexpr std::string_view kDurabilityHeader = "Spillway-Durability";

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Messages may carry client bytes (field names); replace invalid UTF-8 so dump() cannot throw.
std::string error_body(std::string_view code, std::string_view message) {
  json body = {{"success", false},
               {"error", {{"code", std::string(code)}, {"message", std::string(message)}}}};
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

void add_counts(HttpResponse& r, const IngestCounts& c) {
  r.headers.emplace_back(std::string(kDurabilityHeader), "fsync");
  r.headers.emplace_back("Spillway-Stored", std::to_string(c.stored));
  r.headers.emplace_back("Spillway-Duplicates", std::to_string(c.duplicates));
  r.headers.emplace_back("Spillway-Rejected", std::to_string(c.rejected));
}

}  // namespace

HttpResponse invalid_argument_response(std::string_view message) {
  static constexpr std::string_view kCodes[] = {"too_large",     "invalid_json",
                                                "invalid_batch", "invalid_event",
                                                "invalid_body",  "unsupported_media_type"};
  for (auto code : kCodes) {
    if (starts_with(message, code) && starts_with(message.substr(code.size()), ": ")) {
      int status = code == "unsupported_media_type" ? 415 : 400;
      return error_response(status, code, message.substr(code.size() + 2));
    }
  }
  return error_response(400, "invalid_request", message);
}

HttpResponse error_response(int status, std::string_view code, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.body = error_body(code, message);
  r.error_code = std::string(code);
  return r;
}

HttpResponse retry_response(int status, std::string_view code, std::string_view message,
                            int retry_after_s) {
  HttpResponse r = error_response(status, code, message);
  r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  return r;
}

HttpResponse status_response(const Status& status) {
  using Code = Status::Code;
  const std::string& m = status.message();
  switch (status.code()) {
    case Code::kOk:
      return json_response(200, R"({"success":true})");
    case Code::kInvalidArgument:
      return invalid_argument_response(m);
    case Code::kNotFound:
      return error_response(401, "unauthorized", m);
    case Code::kAlreadyExists:
      return error_response(409, "conflict", m);
    case Code::kResourceExhausted:
      return retry_response(429, "quota_exceeded", m, 30);
    case Code::kShuttingDown:
      return retry_response(503, "shutting_down", "server is shutting down", 5);
    case Code::kUnavailable:
      if (starts_with(m, "write queue is full")) return retry_response(503, "overloaded", m, 1);
      if (starts_with(m, "storage failure")) break;
      return retry_response(503, "store_full", m, 30);
    default:
      break;
  }
  // Storage failures (failed commit, I/O): the message may name files; keep it generic.
  return retry_response(503, "store_error", "the store cannot take writes", 5);
}

HttpResponse json_response(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse segment_success(const IngestCounts& c) {
  json body = {{"success", true},
               {"stored", c.stored},
               {"duplicates", c.duplicates},
               {"rejected", c.rejected}};
  HttpResponse r = json_response(200, body.dump());
  add_counts(r, c);
  return r;
}

HttpResponse track_api_success(const IngestCounts& c) {
  HttpResponse r = json_response(200, "{}");
  add_counts(r, c);
  return r;
}

}  // namespace spillway::ingest
