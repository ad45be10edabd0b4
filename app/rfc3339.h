#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace spillway::app {

// Parses an RFC 3339 date-time ("2026-12-05T10:00:00Z", "2026-12-05T11:00:00.250+01:00") into
// ms since the Unix epoch. nullopt for anything else (a date alone, no offset, a bad field).
std::optional<int64_t> parse_rfc3339_ms(std::string_view text);

}  // namespace spillway::app
