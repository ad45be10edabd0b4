#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "ingest/http_message.h"

namespace spillway::ingest {

// Builders for the JSON responses of every route, so the wire shape lives in one place:
// errors are {"success":false,"error":{"code":...,"message":...}}.

// An error response. `code` is a stable machine-readable token ("invalid_json", "too_large").
// The message is echoed to the client: it must never carry a credential.
HttpResponse error_response(int status, std::string_view code, std::string_view message);
// Same, with a Retry-After header (seconds).
HttpResponse retry_response(int status, std::string_view code, std::string_view message,
                            int retry_after_s);

// kInvalidArgument messages may start with "<code>: " for one of too_large, invalid_json,
// invalid_batch, invalid_event, invalid_body (400) or unsupported_media_type (415); the prefix
// becomes the error code. Other messages get code invalid_request.
HttpResponse invalid_argument_response(std::string_view message);

// Maps a Status from parsing or the store onto HTTP (HOUSE_STYLE §4):
// kInvalidArgument -> invalid_argument_response,
// kNotFound -> 401, kAlreadyExists -> 409, kResourceExhausted (account quota) -> 429;
// kUnavailable (queue full, watermark, global quota, failed commit), kShuttingDown, kIoError
// and the rest -> 503; every 429/503 carries Retry-After. Storage failure details stay in the
// log, never in the body.
HttpResponse status_response(const Status& status);

// 200 with a JSON body.
HttpResponse json_response(int status, std::string body);

// Counts shown in the success body of Segment-style routes.
struct IngestCounts {
  uint32_t stored = 0;
  uint32_t duplicates = 0;
  uint32_t rejected = 0;
};
// {"success":true,"stored":N,"duplicates":N,"rejected":N} + Spillway-Durability: fsync.
HttpResponse segment_success(const IngestCounts& counts);
// {} + Spillway-Durability: fsync (Customer.io clients expect an empty object).
HttpResponse track_api_success(const IngestCounts& counts);

}  // namespace spillway::ingest
