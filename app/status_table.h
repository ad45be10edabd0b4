#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace spillway::app {

// Renders a GET /v1/backlog body as the compact text of `spillway status`: a drain line, a
// totals line and one row per account (in the body's order). Missing fields show as "-".
std::string format_status(const nlohmann::json& backlog);
// `spillway status --nodes`, from a cluster_backlog_json() view: one row per node (its id,
// drain state, backlog totals, or "no answer"), a totals row over the nodes that answered,
// then the accounts behind summed across nodes (deepest first, at most `top`), each with the
// nodes holding it.
std::string format_cluster_status(const nlohmann::json& cluster, size_t top);
// "42s", "5m 03s", "2h 10m", "3d 4h"; "-" for null.
std::string format_duration(const nlohmann::json& seconds);
// 1234567 -> "1,234,567".
std::string format_count(uint64_t n);

}  // namespace spillway::app
