#include "app/node_routes.h"

#include "app/admin_auth.h"
#include "common/logger.h"
#include "ingest/ingest_service.h"
#include "ingest/responses.h"
#include "ingest/router.h"
#include "queue/wal.h"
#include "replay/drainer.h"

namespace spillway::app {
namespace {

constexpr std::string_view kTag = "node";

void answer(const NodeSources& sources, const ingest::Responder& respond) {
  node_state(sources, [respond](const NodeState& n) {
    respond(ingest::json_response(200, node_json(n).dump()));
  });
}

void set_draining(const NodeSources& sources, bool draining) {
  if (sources.ingest->draining() == draining) return;
  sources.ingest->set_draining(draining);
  sources.log->info(
      kTag, draining ? "draining: refusing ingest, still delivering" : "drain cancelled: serving",
      {{"node", sources.node_id}});
}

}  // namespace

void node_state(const NodeSources& sources, std::function<void(const NodeState&)> done) {
  sources.drainer->snapshot(
      [sources, done](const replay::DrainSnapshot& snap) { done(node_state_of(sources, snap)); });
}

NodeState node_state_of(const NodeSources& sources, const replay::DrainSnapshot& snap) {
  auto totals = sources.wal->accounts().totals();
  NodeState n;
  n.node = sources.node_id;
  n.draining = sources.ingest->draining();
  n.appends_in_flight = sources.ingest->appends_in_flight();
  n.depth = totals.depth;
  n.dead_letters = totals.dead;
  n.deliveries_in_flight = snap.in_flight_requests;
  return n;
}

nlohmann::json node_json(const NodeState& n) {
  return {{"node", n.node},
          {"state", n.phase()},
          {"depth", n.depth},
          {"dead_letters", n.dead_letters},
          {"appends_in_flight", n.appends_in_flight},
          {"deliveries_in_flight", n.deliveries_in_flight}};
}

void add_node_routes(ingest::Router& router, const NodeSources& sources) {
  router.add("GET", "/v1/node", [sources](ingest::HttpRequest req, ingest::Responder respond) {
    if (!require_admin(*sources.token, req, respond)) return;
    answer(sources, respond);
  });
  router.add("POST", "/v1/node/drain",
             [sources](ingest::HttpRequest req, ingest::Responder respond) {
               if (!require_admin(*sources.token, req, respond)) return;
               set_draining(sources, true);
               answer(sources, respond);
             });
  router.add("DELETE", "/v1/node/drain",
             [sources](ingest::HttpRequest req, ingest::Responder respond) {
               if (!require_admin(*sources.token, req, respond)) return;
               set_draining(sources, false);
               answer(sources, respond);
             });
}

}  // namespace spillway::app
