#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "app/node_state.h"

namespace spillway {
class Logger;
}
namespace spillway::ingest {
class AdminToken;
class IngestService;
class Router;
}  // namespace spillway::ingest
namespace spillway::queue {
class Wal;
}
namespace spillway::replay {
class Drainer;
struct DrainSnapshot;
}  // namespace spillway::replay

namespace spillway::app {

// What the node routes read and switch. Everything is borrowed.
struct NodeSources {
  std::string node_id;
  ingest::IngestService* ingest = nullptr;
  queue::Wal* wal = nullptr;
  replay::Drainer* drainer = nullptr;
  const ingest::AdminToken* token = nullptr;
  Logger* log = nullptr;
};

// Takes a NodeState on the drainer's strand and hands it to `done` there.
void node_state(const NodeSources& sources, std::function<void(const NodeState&)> done);
// The NodeState of this moment, given a drain snapshot just taken.
NodeState node_state_of(const NodeSources& sources, const replay::DrainSnapshot& snap);
// The body of GET /v1/node.
nlohmann::json node_json(const NodeState& state);

// Scale-down (docs/cluster.md), admin token required:
//   GET    /v1/node        {"node","state":"serving|draining|drained","depth","dead_letters",
//                           "appends_in_flight","deliveries_in_flight"}
//   POST   /v1/node/drain  starts draining (idempotent): /readyz and ingest answer 503
//                           `draining`; delivery goes on. Not persisted: a restart serves again.
//   DELETE /v1/node/drain  cancels it.
// Borrows the sources.
void add_node_routes(ingest::Router& router, const NodeSources& sources);

}  // namespace spillway::app
