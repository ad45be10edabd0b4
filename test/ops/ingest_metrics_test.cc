#include "ingest/ingest_metrics.h"

#include <doctest/doctest.h>

#include "ingest/responses.h"
#include "ingest/router.h"

namespace spillway::ingest {
namespace {

// A router with one ingest route answering `status`, one operations route, counted.
struct CountedRouter {
  explicit CountedRouter(int status) {
    router.add(
        "POST", "/v1/batch",
        [status](HttpRequest, Responder r) {
          r(status == 200 ? json_response(200, "{}")
                          : error_response(status, "invalid_json", "bad"));
        },
        RouteKind::kIngest);
    router.add("GET", "/v1/backlog",
               [](HttpRequest, Responder r) { r(error_response(401, "unauthorized", "no")); });
    router.add("GET", "/silent", [](HttpRequest, Responder) {});  // never answers
    router.set_metrics(metrics);
  }
  void send(const std::string& method, const std::string& path) {
    HttpRequest req;
    req.method = method;
    req.path = path;
    router.dispatch(req, Responder([this](HttpResponse r) { statuses.push_back(r.status); }));
  }
  IngestMetrics metrics;
  Router router;
  std::vector<int> statuses;
};

uint64_t count_of(const IngestMetrics& m, const std::string& route, int status) {
  for (const auto& r : m.requests()) {
    if (r.route == route && r.status == status) return r.count;
  }
  return 0;
}

}  // namespace

TEST_CASE("IngestMetrics: the router counts responses by route pattern and status") {
  CountedRouter c(200);
  c.send("POST", "/v1/batch");
  c.send("POST", "/v1/batch");
  c.send("GET", "/v1/backlog");
  c.send("GET", "/nowhere");
  c.send("DELETE", "/v1/batch");
  CHECK(count_of(c.metrics, "/v1/batch", 200) == 2);
  CHECK(count_of(c.metrics, "/v1/backlog", 401) == 1);
  CHECK(count_of(c.metrics, "unrouted", 404) == 1);
  CHECK(count_of(c.metrics, "unrouted", 405) == 1);
  CHECK(c.statuses == std::vector<int>{200, 200, 401, 404, 405});
}

TEST_CASE("IngestMetrics: errors of ingest routes count as rejections by code, others not") {
  CountedRouter c(400);
  c.send("POST", "/v1/batch");
  c.send("GET", "/v1/backlog");  // operations route: not an ingest rejection
  c.send("GET", "/nowhere");     // unknown path: not an ingest rejection
  auto rejections = c.metrics.rejections();
  CHECK(rejections.size() == 1);
  CHECK(rejections["invalid_json"] == 1);
}

TEST_CASE("IngestMetrics: a handler that drops its responder is counted as the 500 it sends") {
  CountedRouter c(200);
  c.send("GET", "/silent");
  CHECK(count_of(c.metrics, "/silent", 500) == 1);
  CHECK(c.statuses == std::vector<int>{500});
}

TEST_CASE("IngestMetrics: stored events, bytes, duplicates, invalid") {
  IngestMetrics m;
  m.count_stored(3, 300, 1, 2);
  m.count_stored(1, 10, 0, 0);
  CHECK(m.events() == 4);
  CHECK(m.bytes() == 310);
  CHECK(m.duplicates() == 1);
  CHECK(m.invalid_events() == 2);
}

}  // namespace spillway::ingest
