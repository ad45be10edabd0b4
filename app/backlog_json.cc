#include "app/backlog_json.h"

#include <algorithm>

#include "common/rfc3339.h"
#include "queue/retain/retained_log.h"

namespace spillway::app {
namespace {

double age_s(int64_t oldest_ms, int64_t now_ms) {
  return oldest_ms > 0 ? std::max<double>(0, static_cast<double>(now_ms - oldest_ms) / 1000.0) : 0;
}

nlohmann::json view_json(const replay::AccountView& v, int64_t now_ms) {
  nlohmann::json j = {
      {"name", v.name},
      {"depth", v.depth},
      {"bytes", v.bytes},
      {"oldest_age_s", age_s(v.oldest_ms, now_ms)},
      {"paused", v.paused},
      {"in_flight", v.in_flight},
      {"weight", v.weight},
      {"dead_letters", v.dead},
      {"drain_rate", v.drain_rate},
      {"last_error", v.last_error.empty() ? nlohmann::json() : nlohmann::json(v.last_error)},
      {"eta_s", v.eta_s ? nlohmann::json(*v.eta_s) : nlohmann::json()}};
  return j;
}

bool sort_before(const replay::AccountView& a, const replay::AccountView& b, BacklogSort sort) {
  switch (sort) {
    case BacklogSort::kAge:
      if (a.oldest_ms != b.oldest_ms) return a.oldest_ms < b.oldest_ms;
      break;
    case BacklogSort::kEta:
      // Longest ETA first (the accounts furthest from real-time); unknown ETAs (paused,
      // nothing draining yet) last.
      if (a.eta_s.has_value() != b.eta_s.has_value()) return a.eta_s.has_value();
      if (a.eta_s != b.eta_s) return *a.eta_s > *b.eta_s;
      break;
    case BacklogSort::kDepth:
      break;
  }
  if (a.depth != b.depth) return a.depth > b.depth;
  return a.name < b.name;
}

}  // namespace

nlohmann::json backlog_json(const replay::DrainSnapshot& snap,
                            const queue::AccountTable::Totals& totals, size_t top, BacklogSort sort,
                            int64_t now_ms) {
  std::vector<const replay::AccountView*> order;
  order.reserve(snap.accounts.size());
  for (const auto& v : snap.accounts) order.push_back(&v);
  size_t n = std::min(top, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<long>(n), order.end(),
                    [sort](const auto* a, const auto* b) { return sort_before(*a, *b, sort); });
  nlohmann::json accounts = nlohmann::json::array();
  for (size_t i = 0; i < n; ++i) accounts.push_back(view_json(*order[i], now_ms));
  double max_eta = 0;
  for (const auto& v : snap.accounts) max_eta = std::max(max_eta, v.eta_s.value_or(0));
  return {{"totals",
           {{"events", totals.depth},
            {"bytes", totals.bytes},
            {"accounts", totals.accounts},
            {"accounts_with_backlog", totals.accounts_with_backlog},
            {"dead_letters", totals.dead},
            {"oldest_age_s", age_s(totals.oldest_ms, now_ms)}}},
          {"drain",
           {{"state", snap.state},
            {"policy", snap.policy},
            {"concurrency_limit", snap.concurrency_limit},
            {"max_concurrency", snap.max_concurrency},
            {"in_flight_requests", snap.in_flight_requests},
            {"max_events_per_sec", snap.max_events_per_sec},
            {"request_size",
             {{"events", snap.request_events},
              {"min_events", snap.min_request_events},
              {"max_events", snap.max_request_events},
              {"target_ms", snap.target_request_ms},
              {"cost_fixed_ms", snap.cost_fixed_ms},
              {"cost_per_event_us", snap.cost_per_event_us}}},
            {"delivered_total", snap.delivered_total},
            {"retries_total", snap.retries_total},
            {"dead_lettered_total", snap.dead_lettered_total},
            {"eta_all_s", snap.drain_rate > 0 ? nlohmann::json(max_eta) : nlohmann::json()}}},
          {"rates", {{"ingest_per_s", snap.ingest_rate}, {"drain_per_s", snap.drain_rate}}},
          {"sort", sort == BacklogSort::kDepth ? "depth"
                   : sort == BacklogSort::kAge ? "age"
                                               : "eta"},
          {"accounts", std::move(accounts)}};
}

nlohmann::json retention_json(const queue::retain::RetainedStats& stats, RetentionSettings settings,
                              uint64_t jobs_running, int64_t now_ms) {
  // The oldest delivery time is how far back a replay can reach (jobs select by delivery time).
  bool any = stats.oldest_delivered_ms > 0;
  return {
      {"enabled", settings.keep_s > 0},
      {"keep_s", settings.keep_s},
      {"max_bytes", settings.max_bytes},
      {"events", stats.events},
      {"bytes", stats.bytes},
      {"oldest_delivered_at",
       any ? nlohmann::json(format_rfc3339_ms(stats.oldest_delivered_ms)) : nullptr},
      {"oldest_age_s", any ? nlohmann::json(age_s(stats.oldest_delivered_ms, now_ms)) : nullptr},
      {"shedding", stats.shedding},
      {"dropped",
       {{"expired", stats.expired},
        {"budget", stats.dropped_budget},
        {"disk", stats.dropped_disk},
        {"not_kept", stats.not_kept}}},
      {"replay_jobs_running", jobs_running}};
}

nlohmann::json account_json(const queue::AccountRecord& rec, const replay::AccountView* view,
                            int64_t now_ms) {
  replay::AccountView v;
  if (view != nullptr) v = *view;
  v.name = rec.name;
  v.depth = rec.depth;
  v.bytes = rec.bytes;
  v.oldest_ms = rec.oldest_ms;
  v.dead = rec.dead_count;
  v.weight = rec.weight;
  v.paused = rec.paused;
  nlohmann::json j = view_json(v, now_ms);
  j["id"] = rec.id.value;
  j["next_seq"] = rec.next_seq;
  j["created_ms"] = rec.created_ms;
  return j;
}

}  // namespace spillway::app
