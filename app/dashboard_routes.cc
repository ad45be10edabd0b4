// GET / and GET /dashboard/{file}: the embedded incident dashboard.
#include "app/dashboard_assets.h"
#include "app/ops_routes.h"
#include "ingest/responses.h"
#include "ingest/router.h"

namespace spillway::app {
namespace {

const DashboardAsset* find_asset(std::string_view name) {
  for (const DashboardAsset& a : dashboard_assets()) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

ingest::HttpResponse asset_response(const DashboardAsset& a) {
  ingest::HttpResponse r;
  r.body = std::string(a.body);
  r.content_type = std::string(a.content_type);
  // The page talks only to this origin; no inline script, no third-party anything.
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

}  // namespace

void add_dashboard_routes(ingest::Router& router) {
  router.add("GET", "/", [](ingest::HttpRequest, ingest::Responder respond) {
    const DashboardAsset* page = find_asset("index.html");
    respond(page != nullptr ? asset_response(*page)
                            : ingest::error_response(500, "internal", "dashboard not built in"));
  });
  router.add("GET", "/dashboard/{file}", [](ingest::HttpRequest req, ingest::Responder respond) {
    const DashboardAsset* a = find_asset(req.param("file").value_or(""));
    respond(a != nullptr ? asset_response(*a)
                         : ingest::error_response(404, "not_found", "no such dashboard file"));
  });
}

}  // namespace spillway::app
