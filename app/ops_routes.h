#pragma once

#include <cstddef>
#include <memory>

namespace spillway {
class Logger;
}
namespace spillway::ingest {
class AdminToken;
class HttpServer;
class IngestMetrics;
class Router;
}  // namespace spillway::ingest
namespace spillway::queue {
class Wal;
struct WalOptions;
}  // namespace spillway::queue
namespace spillway::replay {
class Drainer;
}

namespace spillway::app {

class BackupRunner;
class ClusterPeers;
struct NodeSources;

// What the operations routes read. Everything is borrowed and must outlive the router's use.
struct OpsSources {
  queue::Wal* wal = nullptr;
  const queue::WalOptions* wal_options = nullptr;
  replay::Drainer* drainer = nullptr;
  const ingest::IngestMetrics* ingest = nullptr;
  const ingest::HttpServer* server = nullptr;  // may be null
  const ingest::AdminToken* token = nullptr;
  const NodeSources* node = nullptr;  // may be null (no node label, no node gauges)
};

struct MetricsOptions {
  // Per-account series for this many accounts (deepest first). Default 20.
  size_t top_accounts = 20;
  // Require the admin token on GET /metrics. Default false (open, like /healthz).
  bool require_token = false;
};

// GET /metrics: Prometheus text format 0.0.4 (app/metrics_sections.h).
void add_metrics_route(ingest::Router& router, const OpsSources& sources, MetricsOptions options);
// GET / (the incident dashboard) and GET /dashboard/{file} (its CSS and JS), embedded in the
// binary at build time. Open: the page asks for the admin token before calling the API.
void add_dashboard_routes(ingest::Router& router);
// GET /v1/accounts: every account with its depth, bytes, dead letters, weight and pause flag.
// Admin token required unless `open_reads`.
void add_account_list_route(ingest::Router& router, const OpsSources& sources, bool open_reads);
// GET /v1/cluster/backlog?top=N (1..100, default 20): this node and its --cluster-nodes peers
// in one view (app/cluster_backlog.h); a peer that does not answer is a row with its error,
// never a failed request. 404 `not_configured` without peers (`peers` null). Admin token
// unless `open_reads`. Borrows `node` and `peers`.
void add_cluster_route(ingest::Router& router, const NodeSources& node, ClusterPeers* peers,
                       bool open_reads);
// POST /v1/admin/backup {"dir": ABSOLUTE_PATH}: compacting hot copy of the store into an
// empty directory, on the runner's thread; one at a time (409 while one runs). Admin token.
void add_backup_route(ingest::Router& router, const OpsSources& sources, BackupRunner& runner,
                      Logger& log);

}  // namespace spillway::app
