#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// RFC 3339 date-times, the form of every time in spillway's JSON: the replay API's ranges,
// the delivery envelope's received_at, the retention summary. Free functions, thread-safe.
namespace spillway {

// Parses an RFC 3339 date-time ("2026-12-05T10:00:00Z", "2026-12-05T11:00:00.250+01:00") into
// ms since the Unix epoch. nullopt for anything else (a date alone, no offset, a bad field).
std::optional<int64_t> parse_rfc3339_ms(std::string_view text);

// ms since the Unix epoch as RFC 3339 UTC with milliseconds: "2023-11-14T22:13:20.123Z".
// Negative inputs (before 1970) are formatted correctly too.
std::string format_rfc3339_ms(int64_t unix_ms);

}  // namespace spillway
