#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace spillway::ingest {

// Parses untrusted JSON in one bounded SAX pass that builds the DOM only while the nesting
// depth stays within max_depth: deeper input stops the parse before any deeper node exists
// (nlohmann's copy and dump() recurse per level, so no over-deep DOM may ever be built).
// nlohmann rejects invalid UTF-8, so every string in the result is valid UTF-8 and dump()
// cannot throw. Non-finite numbers (1e400) are rejected. Thread-safe (no shared state).
//
// Errors (kInvalidArgument): "invalid JSON at byte N: ...", "JSON nested deeper than N
// levels at byte N", "number out of range at byte N".
Result<nlohmann::json> parse_json(std::string_view text, uint32_t max_depth);

// NDJSON: one JSON value per non-blank line. Errors name the line (1-based).
Result<std::vector<nlohmann::json>> parse_ndjson(std::string_view text, uint32_t max_depth);

}  // namespace spillway::ingest
