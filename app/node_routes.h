#pragma once

#include <functional>
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
}

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

// Scale-down (docs/cluster.md), admin token required:
//   GET    /v1/node        {"node","state":"serving|draining|drained","depth","dead_letters",
//                           "appends_in_flight","deliveries_in_flight"}
//   POST   /v1/node/drain  starts draining (idempotent): /readyz and ingest answer 503
//                           `draining`; delivery goes on. Not persisted: a restart serves again.
//   DELETE /v1/node/drain  cancels it.
// Borrows the sources.
void add_node_routes(ingest::Router& router, const NodeSources& sources);

}  // namespace spillway::app
