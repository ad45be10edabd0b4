// GET /v1/cluster/backlog: this node's backlog and its peers', aggregated (docs/http_api.md).
#include <nlohmann/json.hpp>

#include "app/admin_auth.h"
#include "app/backlog_json.h"
#include "app/cluster_backlog.h"
#include "app/cluster_peers.h"
#include "app/node_routes.h"
#include "app/ops_routes.h"
#include "app/query_params.h"
#include "common/clock.h"
#include "ingest/responses.h"
#include "ingest/router.h"
#include "queue/wal.h"
#include "replay/drainer.h"

namespace spillway::app {
namespace {

using nlohmann::json;

// This node's part, taken on the drainer's strand like GET /v1/backlog and GET /v1/node, so it
// is as fresh as the peers' answers and costs no HTTP round trip to itself.
NodeReport self_report(const NodeSources& node, const replay::DrainSnapshot& snap) {
  NodeReport self;
  self.backlog = backlog_json(snap, node.wal->accounts().totals(), ClusterPeers::kAccountsPerNode,
                              BacklogSort::kDepth, SystemClock().wall_ms());
  self.backlog["node"] = node.node_id;
  self.node = node_json(node_state_of(node, snap));
  return self;
}

// Runs on the peers' thread: the aggregation stays off the io threads and the drainer strand.
ClusterPeers::Done answer(NodeReport self, size_t top, ingest::Responder respond) {
  return [self = std::move(self), top, respond](const std::vector<NodeReport>& peers) {
    std::vector<NodeReport> all{self};
    all.insert(all.end(), peers.begin(), peers.end());
    json body = cluster_backlog_json(all, top);
    body["node"] = self.backlog["node"];
    respond(ingest::json_response(200, body.dump(-1, ' ', false, json::error_handler_t::replace)));
  };
}

void get_cluster_backlog(const NodeSources& node, ClusterPeers* peers,
                         const ingest::HttpRequest& req, const ingest::Responder& respond) {
  if (peers == nullptr) {
    return respond(ingest::error_response(
        404, "not_configured", "this node was started without --cluster-nodes (docs/cluster.md)"));
  }
  auto top = count_param(req, "top", 20, ClusterPeers::kAccountsPerNode);
  if (!top) return respond(ingest::error_response(400, "invalid_request", "top must be 1..100"));
  node.drainer->snapshot([node, peers, respond, top = *top](const replay::DrainSnapshot& snap) {
    if (!peers->fetch(answer(self_report(node, snap), top, respond))) {
      respond(ingest::error_response(503, "shutting_down", "the node is shutting down"));
    }
  });
}

}  // namespace

void add_cluster_route(ingest::Router& router, const NodeSources& node, ClusterPeers* peers,
                       bool open_reads) {
  router.add("GET", "/v1/cluster/backlog",
             [node, peers, open_reads](ingest::HttpRequest req, ingest::Responder respond) {
               if (!open_reads && !require_admin(*node.token, req, respond)) return;
               get_cluster_backlog(node, peers, req, respond);
             });
}

}  // namespace spillway::app
