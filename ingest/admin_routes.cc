#include "ingest/admin_routes.h"

#include <nlohmann/json.hpp>

#include "common/digest.h"
#include "ingest/auth.h"
#include "ingest/ingest_service.h"
#include "ingest/json_reader.h"
#include "ingest/new_credentials.h"
#include "ingest/responses.h"
#include "ingest/router.h"

namespace spillway::ingest {
namespace {

using json = nlohmann::json;

bool printable_without_colon(std::string_view s) {
  for (char c : s)
    if (c <= ' ' || c > '~' || c == ':') return false;
  return true;
}

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      return false;
  return true;
}

// Reads an optional credential field, generating it when absent. Empty string on error.
std::string credential(const json& body, const char* field, size_t min_len, std::string generated,
                       std::string& error) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return generated;
  if (it->is_string()) {
    const auto& v = it->get_ref<const std::string&>();
    if (v.size() >= min_len && v.size() <= 256 && printable_without_colon(v)) return v;
  }
  error = std::string("field \"") + field + "\" must be " + std::to_string(min_len) +
          "..256 printable characters without ':'";
  return "";
}

struct NewAccount {
  queue::CreateAccountRequest request;
  json shown;  // the response body: credentials shown once
};

Result<NewAccount> new_account(const json& body) {
  if (!body.is_object()) return Status::invalid_argument("body must be a JSON object");
  auto name = body.value("name", json());
  if (!name.is_string() || !valid_name(name.get_ref<const std::string&>()))
    return Status::invalid_argument("field \"name\" must be 1..128 of [A-Za-z0-9._-]");
  std::string error;
  NewCredentials fresh = new_credentials();
  std::string write_key = credential(body, "write_key", 8, fresh.write_key, error);
  std::string site_id = credential(body, "site_id", 1, fresh.site_id, error);
  std::string api_key = credential(body, "api_key", 8, fresh.api_key, error);
  if (!error.empty()) return Status::invalid_argument(error);
  auto weight = body.value("weight", json(1));
  if (!weight.is_number_integer() || weight.get<int64_t>() < 1 || weight.get<int64_t>() > 1000)
    return Status::invalid_argument("field \"weight\" must be an integer in 1..1000");
  NewAccount out;
  out.request.name = name.get<std::string>();
  out.request.weight = weight.get<uint32_t>();
  out.request.credentials = {{queue::KeyKind::kWriteKey, write_key},
                             {queue::KeyKind::kTrackApi, site_id + ":" + api_key}};
  out.shown = {{"account", out.request.name},
               {"write_key", write_key},
               {"site_id", site_id},
               {"api_key", api_key}};
  return out;
}

void create_account(IngestService& service, const AdminToken& token, const HttpRequest& request,
                    const Responder& respond) {
  if (Status s = token.check(request); !s.is_ok()) {
    bool missing = s.code() == Status::Code::kNotFound;
    return respond(
        error_response(missing ? 401 : 403, missing ? "unauthorized" : "forbidden", s.message()));
  }
  auto body = parse_json(request.body, service.options().max_depth);
  if (!body) return respond(error_response(400, "invalid_json", body.status().message()));
  auto account = new_account(body.value());
  if (!account) return respond(error_response(400, "invalid_request", account.status().message()));
  json shown = std::move(account->shown);
  service.store().create_account(
      std::move(account->request), [respond, shown](Result<AccountId> id) {
        if (!id) {
          if (id.status().code() == Status::Code::kAlreadyExists)
            return respond(error_response(409, "conflict", "account or credential exists"));
          return respond(status_response(id.status()));
        }
        json body = shown;
        body["id"] = id.value().value;
        HttpResponse r = json_response(201, body.dump());
        r.headers.emplace_back("Cache-Control", "no-store");
        respond(std::move(r));
      });
}

void readyz(IngestService& service, const Responder& respond) {
  if (service.draining())
    return respond(retry_response(503, "draining", "this node is draining for removal", 1));
  Status health = service.store().health();
  if (!health.is_ok())
    return respond(retry_response(503, "store_error", "the store cannot take writes", 5));
  if (service.store().ingest_refused())
    return respond(retry_response(503, "store_full", "ingest refused by a quota or watermark", 30));
  respond(json_response(200, R"({"ready":true})"));
}

}  // namespace

void add_admin_routes(Router& router, IngestService& service, const AdminToken& token) {
  router.add("POST", "/v1/admin/accounts", [&service, &token](HttpRequest req, Responder respond) {
    create_account(service, token, req, respond);
  });
  router.add("GET", "/healthz", [](HttpRequest, Responder respond) {
    respond(json_response(200, R"({"status":"ok"})"));
  });
  router.add("GET", "/readyz",
             [&service](HttpRequest, Responder respond) { readyz(service, respond); });
}

}  // namespace spillway::ingest
