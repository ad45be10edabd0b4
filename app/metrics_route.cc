// GET /metrics.
#include <memory>

#include "app/admin_auth.h"
#include "app/metrics_sections.h"
#include "app/node_routes.h"
#include "app/ops_routes.h"
#include "app/prometheus_text.h"
#include "common/clock.h"
#include "ingest/ingest_service.h"
#include "ingest/router.h"
#include "queue/wal.h"
#include "replay/drainer.h"

namespace spillway::app {
namespace {

// Scale-down state: an operator (or automation) removes a node once drained reads 1.
void write_node_metrics(PrometheusText& out, const NodeSources& node,
                        const replay::DrainSnapshot& snap) {
  auto totals = node.wal->accounts().totals();
  NodeState n{node.node_id, node.ingest->draining(),          totals.depth,
              totals.dead,  node.ingest->appends_in_flight(), snap.in_flight_requests};
  out.gauge("spillway_node_draining", "1 while the node drains for removal (refusing ingest)",
            n.draining ? 1 : 0);
  out.gauge("spillway_node_drained", "1 once a draining node holds no queued event: removable",
            n.drained() ? 1 : 0);
}

}  // namespace

void add_metrics_route(ingest::Router& router, const OpsSources& sources, MetricsOptions options) {
  router.add(
      "GET", "/metrics", [sources, options](ingest::HttpRequest req, ingest::Responder respond) {
        if (options.require_token && !require_admin(*sources.token, req, respond)) return;
        // The drain snapshot is taken on the drainer's strand; the rest is read where it lands.
        sources.drainer->snapshot([sources, options, respond](const replay::DrainSnapshot& snap) {
          PrometheusText out;
          if (sources.node != nullptr) out.set_constant_labels({{"node", sources.node->node_id}});
          write_ingest_metrics(out, *sources.ingest, sources.server);
          write_store_metrics(out, *sources.wal, *sources.wal_options);
          write_replay_metrics(out, snap);
          write_backlog_metrics(out, *sources.wal, snap, options.top_accounts,
                                SystemClock().wall_ms());
          if (sources.node != nullptr) write_node_metrics(out, *sources.node, snap);
          ingest::HttpResponse r;
          r.body = out.text();
          r.content_type = "text/plain; version=0.0.4; charset=utf-8";
          respond(std::move(r));
        });
      });
}

}  // namespace spillway::app
