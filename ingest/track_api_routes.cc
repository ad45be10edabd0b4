#include "ingest/track_api_routes.h"

#include <functional>

#include "ingest/auth.h"
#include "ingest/ingest_service.h"
#include "ingest/request_reader.h"
#include "ingest/responses.h"
#include "ingest/router.h"
#include "ingest/track_api_event.h"

namespace spillway::ingest {
namespace {

using json = nlohmann::json;
// Builds the Segment-shaped event from the customer id (may be empty) and the body.
using Normalise = std::function<Result<json>(std::string_view, json)>;

void handle(IngestService& service, const Normalise& normalise, HttpRequest request,
            const Responder& respond) {
  auto account = authenticate_track_api(service.store(), request);
  if (!account) return respond(status_response(account.status()));
  std::string customer(request.param("id").value_or(""));
  if (request.param("id")) {
    if (Status s = check_customer_id(customer); !s.is_ok())
      return respond(error_response(400, "invalid_request", s.message()));
  }
  auto body = read_json_body(request, service.options(), false);
  if (!body) return respond(status_response(body.status()));
  auto event = normalise(customer, std::move(body->values.front()));
  if (!event) return respond(error_response(400, "invalid_event", event.status().message()));
  auto stamp = service.stamp();
  auto prepared =
      prepare_event(std::move(event).value(), EventDefaults{"", nullptr, nullptr, "body"},
                    EventRules::kObject, stamp, service.options().max_event_bytes);
  if (!prepared) return respond(status_response(prepared.status()));
  std::vector<PreparedEvent> events;
  events.push_back(std::move(prepared).value());
  service.commit(account.value(), std::move(events), stamp, ResponseStyle::kTrackApi, respond);
}

void add(Router& router, IngestService& service, const char* method, const char* path,
         Normalise normalise) {
  router.add(
      method, path,
      [&service, normalise = std::move(normalise)](HttpRequest req, Responder respond) {
        handle(service, normalise, std::move(req), respond);
      },
      RouteKind::kIngest);
}

}  // namespace

void add_track_api_routes(Router& router, IngestService& service) {
  add(router, service, "PUT", "/api/v1/customers/{id}",
      [](std::string_view id, json body) { return track_identify(id, std::move(body)); });
  add(router, service, "POST", "/api/v1/customers/{id}/events",
      [](std::string_view id, json body) { return track_customer_event(id, std::move(body)); });
  add(router, service, "POST", "/api/v1/events",
      [](std::string_view, json body) { return track_anonymous_event(std::move(body)); });
}

}  // namespace spillway::ingest
