#include "ingest/segment_routes.h"

#include <array>
#include <optional>
#include <string>

#include "ingest/auth.h"
#include "ingest/ingest_service.h"
#include "ingest/request_reader.h"
#include "ingest/responses.h"
#include "ingest/router.h"

namespace spillway::ingest {
namespace {

using json = nlohmann::json;

constexpr std::array<std::string_view, 6> kSingleTypes = {"track",  "identify", "page",
                                                          "screen", "group",    "alias"};

// The part every route shares: auth (before parsing when there is a header), body checks,
// then auth from the body. Answers and returns nullopt on failure.
struct Authenticated {
  AccountId account;
  ParsedBody body;
};

std::optional<Authenticated> authenticate_and_read(IngestService& service, HttpRequest& request,
                                                   bool allow_ndjson, const Responder& respond) {
  std::optional<Result<AccountId>> early;
  if (has_authorization(request)) {
    early = authenticate_write_key(service.store(), request, nullptr);
    if (!early->is_ok()) return respond(status_response(early->status())), std::nullopt;
  }
  auto body = read_json_body(request, service.options(), allow_ndjson);
  if (!body) return respond(status_response(body.status())), std::nullopt;
  if (early) return Authenticated{early->value(), std::move(body).value()};
  const json* root = body->ndjson ? nullptr : &body->values.front();
  auto account = authenticate_write_key(service.store(), request, root);
  if (!account) return respond(status_response(account.status())), std::nullopt;
  return Authenticated{account.value(), std::move(body).value()};
}

// Prepares events; answers 400 and returns nullopt when one is too large.
std::optional<std::vector<PreparedEvent>> prepare_all(IngestService& service, json::array_t& items,
                                                      EventDefaults defaults, EventRules rules,
                                                      const EventStamp& stamp,
                                                      const Responder& respond) {
  if (items.size() > service.options().max_batch_events) {
    respond(error_response(400, "too_large",
                           "batch has " + std::to_string(items.size()) + " events, over the " +
                               std::to_string(service.options().max_batch_events) + " limit"));
    return std::nullopt;
  }
  std::string prefix = defaults.where;
  std::vector<PreparedEvent> out;
  out.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    defaults.where = prefix + "[" + std::to_string(i) + "]";
    auto e = prepare_event(std::move(items[i]), defaults, rules, stamp,
                           service.options().max_event_bytes);
    if (!e) return respond(status_response(e.status())), std::nullopt;
    out.push_back(std::move(e).value());
  }
  return out;
}

void handle_batch(IngestService& service, HttpRequest request, const Responder& respond) {
  auto in = authenticate_and_read(service, request, false, respond);
  if (!in) return;
  json& root = in->body.values.front();
  if (!root.is_object())
    return respond(error_response(400, "invalid_batch", "body must be a JSON object"));
  auto batch = root.find("batch");
  if (batch == root.end() || !batch->is_array())
    return respond(error_response(400, "invalid_batch", "field \"batch\" must be an array"));
  auto stamp = service.stamp();
  auto ctx = root.find("context");
  auto sent = root.find("sentAt");
  EventDefaults defaults{"", ctx == root.end() ? nullptr : &*ctx,
                         sent == root.end() ? nullptr : &*sent, "batch"};
  auto events = prepare_all(service, batch->get_ref<json::array_t&>(), defaults,
                            EventRules::kSegment, stamp, respond);
  if (!events) return;
  service.commit(in->account, std::move(*events), stamp, ResponseStyle::kSegment, respond);
}

void handle_single(IngestService& service, std::string_view type, HttpRequest request,
                   const Responder& respond) {
  auto in = authenticate_and_read(service, request, false, respond);
  if (!in) return;
  json& root = in->body.values.front();
  if (!root.is_object())
    return respond(error_response(400, "invalid_event", "body must be a JSON object"));
  auto stamp = service.stamp();
  auto e = prepare_event(std::move(root), EventDefaults{type, nullptr, nullptr, "body"},
                         EventRules::kSegment, stamp, service.options().max_event_bytes);
  if (!e) return respond(status_response(e.status()));
  std::vector<PreparedEvent> events;
  events.push_back(std::move(e).value());
  service.commit(in->account, std::move(events), stamp, ResponseStyle::kSegment, respond);
}

void handle_native(IngestService& service, HttpRequest request, const Responder& respond) {
  auto in = authenticate_and_read(service, request, true, respond);
  if (!in) return;
  json::array_t items;
  if (in->body.ndjson) {
    items = std::move(in->body.values);
  } else if (in->body.values.front().is_array()) {
    items = std::move(in->body.values.front().get_ref<json::array_t&>());
  } else if (in->body.values.front().is_object()) {
    items.push_back(std::move(in->body.values.front()));
  } else {
    return respond(error_response(400, "invalid_body", "body must be an object or an array"));
  }
  auto stamp = service.stamp();
  auto events = prepare_all(service, items, EventDefaults{"", nullptr, nullptr, "events"},
                            EventRules::kObject, stamp, respond);
  if (!events) return;
  service.commit(in->account, std::move(*events), stamp, ResponseStyle::kSegment, respond);
}

}  // namespace

void add_segment_routes(Router& router, IngestService& service) {
  router.add(
      "POST", "/v1/batch",
      [&service](HttpRequest req, Responder respond) {
        handle_batch(service, std::move(req), respond);
      },
      RouteKind::kIngest);
  router.add(
      "POST", "/v1/import",
      [&service](HttpRequest req, Responder respond) {
        handle_batch(service, std::move(req), respond);
      },
      RouteKind::kIngest);
  for (auto type : kSingleTypes) {
    router.add(
        "POST", "/v1/" + std::string(type),
        [&service, type](HttpRequest req, Responder respond) {
          handle_single(service, type, std::move(req), respond);
        },
        RouteKind::kIngest);
  }
  router.add(
      "POST", "/v1/events",
      [&service](HttpRequest req, Responder respond) {
        handle_native(service, std::move(req), respond);
      },
      RouteKind::kIngest);
}

}  // namespace spillway::ingest
