#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ingest/http_message.h"
#include "ingest/ingest_metrics.h"

namespace spillway::ingest {

// Maps method + path pattern to an async handler. Patterns are literal segments and `{name}`
// parameters ("/api/v1/customers/{id}/events"); a parameter matches one non-empty segment and
// is percent-decoded into HttpRequest::params. Unknown path -> 404, known path with another
// method -> 405 with Allow. Routes are added during wiring (one thread, before the server
// starts); dispatch() is then const and safe from any io thread. app/ registers admin and
// replay routes on the same router.
class Router {
 public:
  Router() = default;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // `kind` decides whether error answers count as rejected ingest requests (metrics).
  void add(std::string method, std::string pattern, Handler handler,
           RouteKind kind = RouteKind::kOperations);
  // Counts every response by route and status from now on (wiring, after the last add()).
  // The metrics are borrowed and must outlive the router's use.
  void set_metrics(IngestMetrics& metrics);
  IngestMetrics* metrics() const { return metrics_; }
  // Runs the matching handler (or answers 404/405/400). Never throws: a handler that throws is
  // answered with 500 unless it already responded.
  void dispatch(HttpRequest request, const Responder& respond) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
    std::string pattern;
    RouteKind kind;
  };
  // The responder that counts the response of route `index` before sending it.
  Responder counted(size_t index, const Responder& respond) const;

  std::vector<Route> routes_;
  IngestMetrics* metrics_ = nullptr;
};

// Percent-decodes a path segment; nullopt for a malformed escape or a decoded NUL.
std::optional<std::string> percent_decode(std::string_view in);

}  // namespace spillway::ingest
