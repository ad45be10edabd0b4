#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace spillway::app {

// Renders a GET /v1/backlog body as the compact text of `spillway status`: a drain line, a
// totals line and one row per account (in the body's order). Missing fields show as "-".
std::string format_status(const nlohmann::json& backlog);
// "42s", "5m 03s", "2h 10m", "3d 4h"; "-" for null.
std::string format_duration(const nlohmann::json& seconds);
// 1234567 -> "1,234,567".
std::string format_count(uint64_t n);

}  // namespace spillway::app
