#include "app/drain_routes.h"

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "app/admin_auth.h"
#include "app/backlog_json.h"
#include "app/query_params.h"
#include "common/clock.h"
#include "common/logger.h"
#include "ingest/auth.h"
#include "ingest/responses.h"
#include "ingest/router.h"
#include "queue/wal.h"
#include "replay/drainer.h"

namespace spillway::app {
namespace {

using ingest::HttpRequest;
using ingest::HttpResponse;
using ingest::Responder;
using nlohmann::json;

struct Context {
  replay::Drainer& drainer;
  queue::Wal& wal;
  const ingest::AdminToken& token;
  Logger& log;
  DrainRoutesOptions options;
  SystemClock clock;
};

std::optional<queue::AccountRecord> find_account(const Context& c, const HttpRequest& req,
                                                 const Responder& respond) {
  auto rec = c.wal.accounts().find(req.param("name").value_or(""));
  if (!rec) respond(ingest::error_response(404, "unknown_account", "no account with that name"));
  return rec;
}

std::string actor_of(const HttpRequest& req) { return "admin@" + req.remote; }

HttpResponse ok_json(const json& j) {
  return ingest::json_response(200, j.dump(-1, ' ', false, json::error_handler_t::replace));
}

uint64_t jobs_running(queue::Wal& wal) {
  auto jobs = wal.writer().replay_jobs();
  return static_cast<uint64_t>(std::count_if(jobs.begin(), jobs.end(), [](const auto& j) {
    return j.state == queue::ReplayState::kRunning;
  }));
}

void get_backlog(const Context& c, const HttpRequest& req, const Responder& respond) {
  if (!c.options.open_reads && !require_admin(c.token, req, respond)) return;
  auto top = count_param(req, "top", 20, 10000);
  std::string sort_text = query_param(req, "sort").value_or("depth");
  BacklogSort sort = sort_text == "age"   ? BacklogSort::kAge
                     : sort_text == "eta" ? BacklogSort::kEta
                                          : BacklogSort::kDepth;
  if (!top || (sort_text != "depth" && sort_text != "age" && sort_text != "eta")) {
    return respond(ingest::error_response(400, "invalid_request",
                                          "top must be 1..10000 and sort one of depth, age, eta"));
  }
  c.drainer.snapshot([&c, respond, n = *top, sort](const replay::DrainSnapshot& snap) {
    int64_t now_ms = c.clock.wall_ms();
    auto body = backlog_json(snap, c.wal.accounts().totals(), n, sort, now_ms);
    body["retention"] = retention_json(c.wal.writer().retained_stats(),
                                       {c.options.retain_delivered_s, c.options.retain_max_bytes},
                                       jobs_running(c.wal), now_ms);
    if (!c.options.node.empty()) body["node"] = c.options.node;
    respond(ok_json(std::move(body)));
  });
}

void get_account(const Context& c, const HttpRequest& req, const Responder& respond) {
  if (!c.options.open_reads && !require_admin(c.token, req, respond)) return;
  auto rec = find_account(c, req, respond);
  if (!rec) return;
  c.drainer.snapshot([&c, respond, rec = *rec](const replay::DrainSnapshot& snap) {
    const replay::AccountView* view = nullptr;
    for (const auto& v : snap.accounts) {
      if (v.account == rec.id) view = &v;
    }
    respond(ok_json(account_json(rec, view, c.clock.wall_ms())));
  });
}

std::function<void(Status)> answer(Responder respond, json body) {
  return [respond = std::move(respond), body = std::move(body)](Status s) {
    respond(s.is_ok() ? ok_json(body) : ingest::status_response(s));
  };
}

void drain_pause(Context& c, const HttpRequest& req, const Responder& respond, bool paused) {
  if (!require_admin(c.token, req, respond)) return;
  c.drainer.set_paused(paused, actor_of(req),
                       answer(respond, {{"success", true}, {"paused", paused}}));
}

void account_pause(Context& c, const HttpRequest& req, const Responder& respond, bool paused) {
  if (!require_admin(c.token, req, respond)) return;
  auto rec = find_account(c, req, respond);
  if (!rec) return;
  std::string actor = actor_of(req);
  c.wal.writer().set_paused(
      rec->id, paused, [&c, respond, paused, name = rec->name, actor](Status s) {
        if (s.is_ok()) {
          c.log.info("replay", paused ? "account paused" : "account resumed",
                     {{"account", name}, {"actor", actor}});
        }
        answer(respond, {{"success", true}, {"account", name}, {"paused", paused}})(s);
      });
}

// Parses a JSON object body; answers 400 and returns nullopt when it is not one.
std::optional<json> object_body(const HttpRequest& req, const Responder& respond) {
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    respond(ingest::error_response(400, "invalid_json", "body must be a JSON object"));
    return std::nullopt;
  }
  return body;
}

void put_limits(Context& c, const HttpRequest& req, const Responder& respond) {
  if (!require_admin(c.token, req, respond)) return;
  auto body = object_body(req, respond);
  if (!body) return;
  const json& rate = (*body)["max_events_per_sec"];
  const json& conc = (*body)["max_concurrency"];
  if (!rate.is_number() || !conc.is_number_unsigned()) {
    return respond(ingest::error_response(
        400, "invalid_request",
        "need max_events_per_sec (number, 0 = no cap) and max_concurrency (integer)"));
  }
  double r = rate.get<double>();
  uint64_t n = conc.get<uint64_t>();
  c.drainer.set_limits(
      r, static_cast<uint32_t>(std::min<uint64_t>(n, UINT32_MAX)), actor_of(req),
      answer(respond, {{"success", true}, {"max_events_per_sec", r}, {"max_concurrency", n}}));
}

void put_weight(Context& c, const HttpRequest& req, const Responder& respond) {
  if (!require_admin(c.token, req, respond)) return;
  auto rec = find_account(c, req, respond);
  if (!rec) return;
  auto body = object_body(req, respond);
  if (!body) return;
  const json& w = (*body)["weight"];
  if (!w.is_number_unsigned() || w.get<uint64_t>() < 1 || w.get<uint64_t>() > 1000) {
    return respond(
        ingest::error_response(400, "invalid_request", "weight must be an integer 1..1000"));
  }
  auto weight = static_cast<uint32_t>(w.get<uint64_t>());
  c.log.info("replay", "account weight changed",
             {{"account", rec->name}, {"weight", weight}, {"actor", actor_of(req)}});
  c.wal.writer().set_weight(
      rec->id, weight,
      answer(respond, {{"success", true}, {"account", rec->name}, {"weight", weight}}));
}

void get_dead(Context& c, const HttpRequest& req, const Responder& respond) {
  if (!require_admin(c.token, req, respond)) return;
  auto rec = find_account(c, req, respond);
  if (!rec) return;
  auto limit = count_param(req, "limit", 100, 10000);
  if (!limit)
    return respond(ingest::error_response(400, "invalid_request", "limit must be 1..10000"));
  auto dead = c.wal.reader().read_dead(rec->id, static_cast<uint32_t>(*limit));
  if (!dead) return respond(ingest::status_response(dead.status()));
  json items = json::array();
  for (const auto& d : *dead) {
    json event = json::parse(d.payload, nullptr, false);
    items.push_back({{"seq", d.seq.value},
                     {"received_at_ms", d.enqueue_ms},
                     {"dead_at_ms", d.dead_ms},
                     {"attempts", d.attempts},
                     {"source", d.from_ingest ? "ingest" : "downstream"},
                     {"reason", d.reason},
                     {"event", event.is_discarded() ? json(d.payload) : event}});
    if (d.replay.job != 0) {
      items.back()["replay_id"] = d.replay.job;
      items.back()["original_seq"] = d.replay.seq.value;
    }
  }
  respond(ok_json({{"account", rec->name}, {"total", rec->dead_count}, {"dead_letters", items}}));
}

void move_dead(Context& c, const HttpRequest& req, const Responder& respond, bool requeue) {
  if (!require_admin(c.token, req, respond)) return;
  auto rec = find_account(c, req, respond);
  if (!rec) return;
  auto limit = count_param(req, "limit", c.options.dead_batch, c.options.dead_batch);
  if (!limit) return respond(ingest::error_response(400, "invalid_request", "limit out of range"));
  std::string actor = actor_of(req);
  auto done = [&c, respond, requeue, name = rec->name, actor](Result<uint64_t> r) {
    if (!r) return respond(ingest::status_response(r.status()));
    c.log.info("replay", requeue ? "dead letters requeued" : "dead letters purged",
               {{"account", name}, {"count", *r}, {"actor", actor}});
    respond(ok_json({{"success", true}, {"account", name}, {requeue ? "requeued" : "purged", *r}}));
  };
  auto n = static_cast<uint32_t>(*limit);
  if (requeue) {
    c.wal.writer().requeue_dead(rec->id, n, done);
  } else {
    c.wal.writer().purge_dead(rec->id, n, done);
  }
}

}  // namespace

void add_drain_routes(ingest::Router& router, replay::Drainer& drainer, queue::Wal& wal,
                      const ingest::AdminToken& token, Logger& log, DrainRoutesOptions options) {
  // Shared by every handler; lives as long as the router's handlers.
  auto c = std::make_shared<Context>(Context{drainer, wal, token, log, options, {}});
  auto route = [&router, c](std::string method, std::string path, auto fn) {
    router.add(std::move(method), std::move(path),
               [c, fn](HttpRequest req, Responder respond) { fn(*c, req, respond); });
  };
  route("GET", "/v1/backlog", get_backlog);
  route("GET", "/v1/accounts/{name}", get_account);
  route("POST", "/v1/drain/pause",
        [](Context& c, const HttpRequest& r, const Responder& s) { drain_pause(c, r, s, true); });
  route("POST", "/v1/drain/resume",
        [](Context& c, const HttpRequest& r, const Responder& s) { drain_pause(c, r, s, false); });
  route("PUT", "/v1/drain/limits", put_limits);
  route("POST", "/v1/accounts/{name}/pause",
        [](Context& c, const HttpRequest& r, const Responder& s) { account_pause(c, r, s, true); });
  route(
      "POST", "/v1/accounts/{name}/resume",
      [](Context& c, const HttpRequest& r, const Responder& s) { account_pause(c, r, s, false); });
  route("PUT", "/v1/accounts/{name}/weight", put_weight);
  route("GET", "/v1/accounts/{name}/dead", get_dead);
  route("POST", "/v1/accounts/{name}/dead/replay",
        [](Context& c, const HttpRequest& r, const Responder& s) { move_dead(c, r, s, true); });
  route("DELETE", "/v1/accounts/{name}/dead",
        [](Context& c, const HttpRequest& r, const Responder& s) { move_dead(c, r, s, false); });
}

}  // namespace spillway::app
