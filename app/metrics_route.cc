// GET /metrics.
#include <memory>

#include "app/admin_auth.h"
#include "app/metrics_sections.h"
#include "app/ops_routes.h"
#include "app/prometheus_text.h"
#include "common/clock.h"
#include "ingest/router.h"
#include "replay/drainer.h"

namespace spillway::app {

void add_metrics_route(ingest::Router& router, const OpsSources& sources, MetricsOptions options) {
  router.add(
      "GET", "/metrics", [sources, options](ingest::HttpRequest req, ingest::Responder respond) {
        if (options.require_token && !require_admin(*sources.token, req, respond)) return;
        // The drain snapshot is taken on the drainer's strand; the rest is read where it lands.
        sources.drainer->snapshot([sources, options, respond](const replay::DrainSnapshot& snap) {
          PrometheusText out;
          write_ingest_metrics(out, *sources.ingest, sources.server);
          write_store_metrics(out, *sources.wal, *sources.wal_options);
          write_replay_metrics(out, snap);
          write_backlog_metrics(out, *sources.wal, snap, options.top_accounts,
                                SystemClock().wall_ms());
          ingest::HttpResponse r;
          r.body = out.text();
          r.content_type = "text/plain; version=0.0.4; charset=utf-8";
          respond(std::move(r));
        });
      });
}

}  // namespace spillway::app
