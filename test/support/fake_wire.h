#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "test/support/fake_delivery_log.h"

namespace httplib {
struct Request;
}  // namespace httplib

namespace spillway::test {

// Request-level helpers of the fake downstream. Free functions, thread-safe.

// Parses a docs/sink.md batch body into one FakeDelivery per event; the event JSON is kept in
// `event` only when `keep_events` (re-serialising 2,000 events costs the fake ~10 ms per
// request, which the drill would count against spillway). Errors: kInvalidArgument naming the
// first problem.
Result<std::vector<FakeDelivery>> parse_batch(const std::string& body,
                                              const std::string& idempotency_key,
                                              bool keep_events = true);

// The first event whose JSON contains `marker`, if any.
std::optional<FakeDelivery> find_marker(const std::vector<FakeDelivery>& batch,
                                        const std::string& marker);

// Shuts down (FIN, both directions) the TCP connection a request arrived on, so the client
// sees the connection close without an answer. httplib 0.11.4 does not expose the socket:
// it is found in /proc/self/fd by its local and remote ports. False when not found.
bool close_connection_of(const httplib::Request& req);

// Wall clock in seconds since the epoch, microsecond resolution.
double wall_seconds();

}  // namespace spillway::test
