#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "replay/downstream.h"

namespace spillway::replay {

// How the HTTP sink maps a downstream response onto a DeliveryResult (docs/sink.md,
// "Status classification"). Pure functions: callable from any thread.

// Longest piece of a response body copied into DeliveryResult::detail.
inline constexpr size_t kMaxDetailBodyBytes = 512;

// A Retry-After value: delay-seconds ("120") or an HTTP-date in IMF-fixdate form
// ("Wed, 21 Oct 2015 07:28:00 GMT"), relative to `now_wall_ms`. A date in the past gives 0.
// Values above one day are clamped to one day. nullopt when the value is malformed.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           int64_t now_wall_ms);

// At most `max_bytes` of `text` with every byte outside printable ASCII replaced by '?',
// so a detail can go into logs and dead letters without carrying control characters.
std::string sanitize_detail(std::string_view text, size_t max_bytes);

// One HTTP response, as far as the sink needs it.
struct HttpOutcome {
  int status = 0;
  std::string_view body;         // possibly truncated by the response bound
  std::string_view retry_after;  // the header value, empty when absent
  bool body_truncated = false;
};

// 2xx -> kAccepted; 408, 429, 5xx -> kRetryable (with retry_after when given);
// 3xx -> kRetryable ("redirect not followed": a misconfigured URL must not dead-letter
// events); other 4xx -> kRejected; anything else (1xx, >= 600) -> kRetryable.
// detail = "HTTP <status>: <first 512 bytes of body, sanitized>".
DeliveryResult classify_response(const HttpOutcome& response, int64_t now_wall_ms);

}  // namespace spillway::replay
