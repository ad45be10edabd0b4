#pragma once

#include <cstdint>
#include <string>

namespace spillway {
class Logger;
}
namespace spillway::ingest {
class AdminToken;
class Router;
}  // namespace spillway::ingest
namespace spillway::queue {
class Wal;
}
namespace spillway::replay {
class Drainer;
}

namespace spillway::app {

struct DrainRoutesOptions {
  // Serve GET /v1/backlog and GET /v1/accounts/{name} without the admin token (dashboards on a
  // trusted network). Default false: every drain route needs the token.
  bool open_reads = false;
  // Most dead letters moved or purged by one request (bounds the transaction). Default 1000.
  unsigned dead_batch = 1000;
  // This node's id, shown as "node" in GET /v1/backlog (one view over several nodes).
  std::string node;
  // Retention settings (--retain-delivered-s, --retain-max-bytes), reported in GET /v1/backlog's
  // "retention" object. 0: off / no budget.
  int64_t retain_delivered_s = 0;
  uint64_t retain_max_bytes = 0;
};

// Registers the operator surface of the drain engine on the shared router (docs/http_api.md):
//   GET  /v1/backlog?top=N&sort=depth|age|eta     totals, drain state, rates, top accounts,
//                                                  retention and running replay jobs
//   GET  /v1/accounts/{name}                       one account
//   POST /v1/drain/pause | /v1/drain/resume        global, durable
//   PUT  /v1/drain/limits {"max_events_per_sec","max_concurrency"}
//   POST /v1/accounts/{name}/pause | resume        HOLD one account, durable
//   PUT  /v1/accounts/{name}/weight {"weight"}
//   GET  /v1/accounts/{name}/dead?limit=N          dead letters, oldest first
//   POST /v1/accounts/{name}/dead/replay?limit=N   requeue at original seqs, in order
//   DELETE /v1/accounts/{name}/dead?limit=N        purge
// Lives in app/ because it joins ingest (router, auth) and replay (drainer). Borrows all.
void add_drain_routes(ingest::Router& router, replay::Drainer& drainer, queue::Wal& wal,
                      const ingest::AdminToken& token, Logger& log, DrainRoutesOptions options);

}  // namespace spillway::app
