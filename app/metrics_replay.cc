// GET /metrics: the replay (drain engine) and backlog sections.
#include <algorithm>

#include "app/metrics_sections.h"
#include "app/prometheus_text.h"
#include "queue/wal.h"
#include "replay/drain_snapshot.h"

namespace spillway::app {
namespace {

constexpr const char* kStates[] = {"running", "paused", "circuit_open", "backing_off", "stopped"};
constexpr const char* kCircuits[] = {"closed", "open", "half_open"};

// A state-set: one sample per possible value, 1 for the current one (bounded labels).
template <size_t N>
void state_set(PrometheusText& out, std::string_view name, std::string_view label,
               const char* const (&values)[N], const std::string& current, std::string_view help) {
  out.family(name, "gauge", help);
  for (const char* v : values) {
    out.sample(name, {{std::string(label), v}}, current == v ? 1 : 0);
  }
}

double age_s(int64_t oldest_ms, int64_t now_ms) {
  return oldest_ms > 0 ? std::max(0.0, static_cast<double>(now_ms - oldest_ms) / 1000.0) : 0;
}

}  // namespace

void write_replay_metrics(PrometheusText& out, const replay::DrainSnapshot& snap) {
  out.counter("spillway_replay_delivered_events_total",
              "Events acknowledged by the downstream since start.",
              static_cast<double>(snap.delivered_total));
  out.counter("spillway_replay_batches_total", "Downstream requests built since start.",
              static_cast<double>(snap.batches_total));
  out.family("spillway_replay_retries_total", "counter",
             "Downstream requests retried, by reason (timeout, connection, throttled, "
             "server_error, other).");
  for (size_t i = 0; i < replay::kRetryReasons; ++i) {
    auto reason = replay::retry_reason_name(static_cast<replay::RetryReason>(i));
    out.sample("spillway_replay_retries_total", {{"reason", std::string(reason)}},
               static_cast<double>(snap.retries_by_reason[i]));
  }
  out.counter("spillway_replay_dead_letters_total",
              "Events the downstream refused for good, moved to dead letters since start.",
              static_cast<double>(snap.dead_lettered_total));
  out.gauge("spillway_replay_in_flight_requests", "Downstream requests in flight.",
            snap.in_flight_requests);
  out.gauge("spillway_replay_concurrency_limit",
            "Current adaptive concurrency limit (AIMD, between min and max).",
            snap.concurrency_limit);
  out.gauge("spillway_replay_max_concurrency", "Configured concurrency ceiling.",
            snap.max_concurrency);
  out.gauge("spillway_replay_request_size_events",
            "Events of the next downstream request (from the latency target and cost model).",
            snap.request_events);
  out.gauge("spillway_replay_request_cost_fixed_seconds",
            "Learned fixed cost of one downstream request (a in a + b x events).",
            snap.cost_fixed_ms / 1000.0);
  out.gauge("spillway_replay_request_cost_per_event_seconds",
            "Learned cost of one event in a downstream request (b in a + b x events).",
            snap.cost_per_event_us / 1e6);
  out.gauge("spillway_replay_rate_cap_events_per_second",
            "Drain rate cap in events/s; 0 means no cap.", snap.max_events_per_sec);
  out.gauge("spillway_replay_drain_rate_events_per_second",
            "Events delivered per second over the last minute.", snap.drain_rate);
  out.gauge("spillway_replay_ingest_rate_events_per_second",
            "Events stored per second over the last minute.", snap.ingest_rate);
  state_set(out, "spillway_replay_state", "state", kStates, snap.state,
            "Drain state: 1 for the current state.");
  state_set(out, "spillway_replay_circuit_state", "state", kCircuits, snap.circuit,
            "Circuit breaker towards the downstream: 1 for the current state.");
  out.family("spillway_replay_delivery_latency_seconds", "histogram",
             "Downstream request latency, every outcome.");
  out.histogram("spillway_replay_delivery_latency_seconds", {}, snap.delivery_latency);
}

void write_backlog_metrics(PrometheusText& out, const queue::Wal& wal,
                           const replay::DrainSnapshot& snap, size_t top, int64_t now_ms) {
  auto totals = wal.accounts().totals();
  out.gauge("spillway_backlog_events", "Events queued for delivery, all accounts.",
            static_cast<double>(totals.depth));
  out.gauge("spillway_backlog_bytes", "Payload bytes queued, all accounts.",
            static_cast<double>(totals.bytes));
  out.gauge("spillway_backlog_oldest_age_seconds", "Age of the oldest queued event.",
            age_s(totals.oldest_ms, now_ms));
  out.gauge("spillway_backlog_accounts_behind", "Accounts with queued events.",
            static_cast<double>(totals.accounts_with_backlog));
  out.gauge("spillway_accounts", "Accounts.", static_cast<double>(totals.accounts));
  out.gauge("spillway_dead_letters", "Dead letters stored, all accounts.",
            static_cast<double>(totals.dead));
  std::vector<const replay::AccountView*> order;
  for (const auto& v : snap.accounts) order.push_back(&v);
  size_t n = std::min(top, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<long>(n), order.end(),
                    [](const auto* a, const auto* b) {
                      return a->depth != b->depth ? a->depth > b->depth : a->name < b->name;
                    });
  order.resize(n);
  auto per_account = [&](std::string_view name, std::string_view help, auto value) {
    out.family(name, "gauge", help);
    for (const auto* v : order) {
      auto x = value(*v);
      if (x) out.sample(name, {{"account", v->name}}, *x);
    }
  };
  using Opt = std::optional<double>;
  per_account("spillway_account_backlog_events", "Queued events of the top-N accounts by depth.",
              [](const auto& v) { return Opt(static_cast<double>(v.depth)); });
  per_account("spillway_account_backlog_bytes", "Queued bytes of the top-N accounts by depth.",
              [](const auto& v) { return Opt(static_cast<double>(v.bytes)); });
  per_account("spillway_account_oldest_age_seconds",
              "Age of the oldest queued event of the top-N accounts by depth.",
              [now_ms](const auto& v) { return Opt(age_s(v.oldest_ms, now_ms)); });
  per_account("spillway_account_drain_rate_events_per_second",
              "Recent delivery rate of the top-N accounts by depth.",
              [](const auto& v) { return Opt(v.drain_rate); });
  per_account("spillway_account_eta_seconds",
              "Seconds until the account is real-time under the drain policy (absent when "
              "unknown: paused or nothing draining).",
              [](const auto& v) { return v.eta_s; });
  per_account("spillway_account_paused", "1 when the account's draining is paused.",
              [](const auto& v) { return Opt(v.paused ? 1.0 : 0.0); });
}

}  // namespace spillway::app
