#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace spillway::test {

// How the fake downstream answers deliveries. Changed at run time with POST /control.
enum class FakeMode {
  kUp,              // accept (subject to reject_marker and capacity)
  kDown,            // the listener is closed: connections are refused
  kError,           // answer error_status (5xx by default), with Retry-After when set
  kThrottle,        // answer 429 + Retry-After: retry_after_s
  kHang,            // read the request, never answer (until the mode changes: then close)
  kResetAfterBody,  // read the body, record it as ambiguous, close without answering
  kTrickle,         // answer 200 headers, then one body byte per trickle_interval, forever
};

// What happens to a batch that would exceed `capacity`.
enum class CapacityMode {
  kDelay,     // hold the request until the capacity allows it (a slow datastore); waits longer
              // than max_delay answer 429 instead
  kThrottle,  // token bucket (burst = 1 s of capacity): answer 429 + Retry-After at once
};

// The script. Copyable value type; JSON form in fake_downstream.h.
struct FakeScript {
  FakeMode mode = FakeMode::kUp;
  int error_status = 503;          // kError
  int retry_after_s = 1;           // Retry-After seconds of kThrottle (and of kError when asked)
  bool error_retry_after = false;  // kError: send Retry-After: retry_after_s too
  std::string reject_marker;       // batches with an event containing it get 400; "" = off
  double capacity = 0;             // events/s; 0 = unlimited
  // capacity_mode kDelay: a request of n events holds the server request_cost_ms + n/capacity,
  // so small requests waste capacity (parse, commit, fsync per request). 0 = per event only.
  double request_cost_ms = 0;
  CapacityMode capacity_mode = CapacityMode::kDelay;
  // capacity_mode kDelay: servers working in parallel, each at capacity / workers events/s
  // with its own request_cost_ms (a datastore of several nodes). A request goes to the server
  // free first. 1 = one server that serves requests one after another.
  int workers = 1;
  std::chrono::milliseconds max_delay{5000};
  std::chrono::milliseconds trickle_interval{1000};
  bool operator==(const FakeScript&) const = default;
};

std::string_view mode_name(FakeMode mode);
std::optional<FakeMode> parse_mode(std::string_view name);

// Applies the fields present in a JSON object to `base` (missing fields keep their value):
// {"mode":"up|down|error|throttle|hang|reset_after_body|trickle", "error_status":503,
//  "retry_after_s":1, "error_retry_after":false, "reject_marker":"...", "capacity":2000,
//  "capacity_mode":"delay|throttle", "request_cost_ms":5, "workers":1, "max_delay_ms":5000,
//  "trickle_interval_ms":1000}
// Errors: kInvalidArgument for bad JSON, unknown keys or bad values.
Result<FakeScript> apply_script_json(const FakeScript& base, std::string_view json);
std::string script_to_json(const FakeScript& script);

}  // namespace spillway::test
