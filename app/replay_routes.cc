#include "app/replay_routes.h"

#include <charconv>
#include <cmath>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "app/admin_auth.h"
#include "common/logger.h"
#include "common/rfc3339.h"
#include "ingest/responses.h"
#include "ingest/router.h"
#include "queue/replay_job/replay_preview.h"
#include "queue/wal.h"
#include "replay/drainer.h"
#include "replay/eta_model.h"

namespace spillway::app {
namespace {

using ingest::HttpRequest;
using ingest::Responder;
using nlohmann::json;

struct Context {
  replay::Drainer& drainer;
  queue::Wal& wal;
  const ingest::AdminToken& token;
  Logger& log;
};

void respond_json(const Responder& respond, int status, const json& j) {
  respond(ingest::json_response(status, j.dump(-1, ' ', false, json::error_handler_t::replace)));
}

void bad_request(const Responder& respond, const std::string& message) {
  respond(ingest::error_response(400, "invalid_request", message));
}

json names_of(const Context& c, const std::vector<AccountId>& ids) {
  json out = json::array();
  for (AccountId id : ids)
    out.push_back(c.wal.accounts().get(id).value_or(queue::AccountRecord{}).name);
  return out;
}

json job_json(const Context& c, const queue::ReplayJob& j) {
  json out = {{"id", j.id},
              {"state", queue::replay_state_name(j.state)},
              {"from", format_rfc3339_ms(j.spec.from_ms)},
              {"to", format_rfc3339_ms(j.spec.to_ms)},
              {"accounts", names_of(c, j.spec.accounts)},
              {"types", j.spec.types},
              {"events", j.spec.events},
              {"matched", j.matched},
              {"enqueued", j.enqueued},
              {"delivered", j.delivered},
              {"dropped", j.dropped},
              {"created_at", format_rfc3339_ms(j.created_ms)}};
  if (j.finished_ms != 0) out["finished_at"] = format_rfc3339_ms(j.finished_ms);
  return out;
}

// A list of strings under `field` (absent: empty); false after answering 400.
bool string_list(const json& body, const char* field, std::vector<std::string>& out,
                 const Responder& respond) {
  auto it = body.find(field);
  if (it == body.end()) return true;
  bool ok = it->is_array();
  for (const json& v : ok ? *it : json::array()) {
    ok = ok && v.is_string();
    if (ok) out.push_back(v.get<std::string>());
  }
  if (!ok) bad_request(respond, std::string(field) + " must be an array of strings");
  return ok;
}

std::optional<int64_t> time_field(const json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || !it->is_string()) return std::nullopt;
  return parse_rfc3339_ms(it->get<std::string>());
}

// The spec of a POST body; nullopt after answering 400.
std::optional<queue::ReplaySpec> parse_spec(const Context& c, const HttpRequest& req,
                                            const Responder& respond) {
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    respond(ingest::error_response(400, "invalid_json", "body must be a JSON object"));
    return std::nullopt;
  }
  queue::ReplaySpec spec;
  auto from = time_field(body, "from"), to = time_field(body, "to");
  if (!from || !to || *to < *from) {
    bad_request(respond,
                "from and to must be RFC 3339 times (e.g. 2026-12-05T10:00:00Z), from <= to");
    return std::nullopt;
  }
  spec.from_ms = *from;
  spec.to_ms = *to;
  std::vector<std::string> names;
  if (!string_list(body, "accounts", names, respond) ||
      !string_list(body, "types", spec.types, respond) ||
      !string_list(body, "events", spec.events, respond)) {
    return std::nullopt;
  }
  for (const std::string& name : names) {
    auto rec = c.wal.accounts().find(name);
    if (!rec) {
      respond(ingest::error_response(404, "unknown_account", "no account named " + name));
      return std::nullopt;
    }
    spec.accounts.push_back(rec->id);
  }
  return spec;
}

bool dry_run(const HttpRequest& req) {
  std::string_view q = req.query;
  return q == "dry_run=1" || q.find("dry_run=1&") == 0 ||
         q.find("&dry_run=1") != std::string_view::npos;
}

// ETA of a replay under the fair-share model at the measured drain capacity: every account's
// backlog grows by what the replay adds; the replay is done when its slowest account is.
json preview_json(const Context& c, const queue::replay_job::ReplayPreview& p,
                  const replay::DrainSnapshot& snap) {
  std::vector<replay::BacklogShare> shares;
  std::map<AccountId, size_t> at;
  for (const auto& v : snap.accounts) {
    at[v.account] = shares.size();
    shares.push_back({v.depth, v.weight});
  }
  for (const auto& [account, n] : p.events) {
    if (!at.contains(account)) {
      at[account] = shares.size();
      shares.push_back({0, c.wal.accounts().get(account).value_or(queue::AccountRecord{}).weight});
    }
    shares[at[account]].depth += n;
  }
  replay::EtaModel model(shares);
  json accounts = json::array();
  double eta = 0;
  for (const auto& [account, n] : p.events) {
    double e = model.fair_eta(shares[at[account]], snap.drain_rate);
    eta = std::max(eta, e);
    accounts.push_back({{"account", names_of(c, {account})[0]}, {"events", n}});
  }
  bool known = snap.drain_rate > 0 && std::isfinite(eta);
  return {{"dry_run", true},
          {"matched", p.matched},
          {"bytes", p.bytes},
          {"accounts", accounts},
          {"drain_rate", snap.drain_rate},
          {"eta_s", known ? json(eta) : json(nullptr)}};
}

void post_replay(Context& c, const HttpRequest& req, const Responder& respond) {
  if (!require_admin(c.token, req, respond)) return;
  auto spec = parse_spec(c, req, respond);
  if (!spec) return;
  if (dry_run(req)) {
    auto preview = queue::replay_job::preview_replay(c.wal.env(), *spec);
    if (!preview) return respond(ingest::status_response(preview.status()));
    c.drainer.snapshot([&c, respond, p = *preview](const replay::DrainSnapshot& snap) {
      respond_json(respond, 200, preview_json(c, p, snap));
    });
    return;
  }
  std::string actor = "admin@" + req.remote;
  c.wal.writer().create_replay(*spec, [&c, respond, actor](Result<queue::ReplayJob> job) {
    if (!job) return respond(ingest::status_response(job.status()));
    c.log.info(
        "replay", "replay job created",
        {{"id", job->id}, {"from", job->spec.from_ms}, {"to", job->spec.to_ms}, {"actor", actor}});
    respond_json(respond, 201, job_json(c, *job));
  });
}

void get_replays(Context& c, const HttpRequest& req, const Responder& respond) {
  if (!require_admin(c.token, req, respond)) return;
  json jobs = json::array();
  for (const auto& j : c.wal.writer().replay_jobs()) jobs.push_back(job_json(c, j));
  respond_json(respond, 200, {{"replays", jobs}});
}

void delete_replay(Context& c, const HttpRequest& req, const Responder& respond) {
  if (!require_admin(c.token, req, respond)) return;
  std::string_view text = req.param("id").value_or("");
  uint64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return respond(ingest::error_response(404, "unknown_replay", "no replay job with that id"));
  }
  std::string actor = "admin@" + req.remote;
  c.wal.writer().cancel_replay(id, [&c, respond, actor](Result<queue::ReplayJob> job) {
    if (!job && job.status().code() == Status::Code::kNotFound) {
      return respond(ingest::error_response(404, "unknown_replay", job.status().message()));
    }
    if (!job) return respond(ingest::status_response(job.status()));
    c.log.info("replay",
               job->state == queue::ReplayState::kCancelling ||
                       job->state == queue::ReplayState::kCancelled
                   ? "replay job cancelled; dropping its undelivered events"
                   : "replay job already delivered; not cancelled",
               {{"id", job->id}, {"actor", actor}});
    respond_json(respond, 200, job_json(c, *job));
  });
}

}  // namespace

void add_replay_routes(ingest::Router& router, replay::Drainer& drainer, queue::Wal& wal,
                       const ingest::AdminToken& token, Logger& log) {
  auto c = std::make_shared<Context>(Context{drainer, wal, token, log});
  auto route = [&router, c](std::string method, std::string path, auto fn) {
    router.add(std::move(method), std::move(path),
               [c, fn](HttpRequest req, Responder respond) { fn(*c, req, respond); });
  };
  route("POST", "/v1/replays", post_replay);
  route("GET", "/v1/replays", get_replays);
  route("DELETE", "/v1/replays/{id}", delete_replay);
}

}  // namespace spillway::app
