// GET /v1/accounts.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "app/admin_auth.h"
#include "app/ops_routes.h"
#include "ingest/responses.h"
#include "ingest/router.h"
#include "queue/wal.h"

namespace spillway::app {
namespace {

nlohmann::json account_row(const queue::AccountRecord& r) {
  return {{"name", r.name},     {"id", r.id.value},         {"depth", r.depth},
          {"bytes", r.bytes},   {"oldest_ms", r.oldest_ms}, {"dead_letters", r.dead_count},
          {"weight", r.weight}, {"paused", r.paused},       {"created_ms", r.created_ms}};
}

}  // namespace

void add_account_list_route(ingest::Router& router, const OpsSources& sources, bool open_reads) {
  router.add("GET", "/v1/accounts",
             [sources, open_reads](ingest::HttpRequest req, ingest::Responder respond) {
               if (!open_reads && !require_admin(*sources.token, req, respond)) return;
               auto all = sources.wal->accounts().all();
               std::sort(all.begin(), all.end(),
                         [](const auto& a, const auto& b) { return a.name < b.name; });
               nlohmann::json rows = nlohmann::json::array();
               for (const auto& r : all) rows.push_back(account_row(r));
               nlohmann::json body = {{"accounts", std::move(rows)}};
               respond(ingest::json_response(
                   200, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
             });
}

}  // namespace spillway::app
