#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace spillway::app {

// What one node said when asked for its backlog, or why it said nothing. Copyable value type.
struct NodeReport {
  std::string url;         // empty: the node that aggregates (asked in-process, not over HTTP)
  nlohmann::json backlog;  // its GET /v1/backlog body; null when it did not answer
  nlohmann::json node;     // its GET /v1/node body (scale-down state); null when unknown
  std::string error;       // why `backlog` is null; empty when it answered
};

// The one view of a cluster (GET /v1/cluster/backlog, `spillway status --nodes`,
// docs/http_api.md): one entry per report in order, totals over the nodes that answered, and
// the accounts summed across nodes, deepest first, at most `top`. A node that did not answer
// is listed with its error and left out of the sums; so is a second answer carrying a node id
// already counted (a list that names the same node twice). Each node reports only its deepest
// accounts, so an account's sum covers the nodes where it is among those. Pure function.
nlohmann::json cluster_backlog_json(const std::vector<NodeReport>& reports, size_t top);

}  // namespace spillway::app
