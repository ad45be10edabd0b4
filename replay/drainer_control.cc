// Operator controls and the backlog snapshot of the Drainer.
#include <boost/asio/post.hpp>
#include <sstream>

#include "queue/wal.h"
#include "replay/drainer.h"
#include "replay/eta_model.h"

namespace spillway::replay {
namespace {
constexpr std::string_view kMetaPaused = "drain_paused";
constexpr std::string_view kMetaLimits = "drain_limits";
constexpr auto kSnapshotMaxAge = std::chrono::seconds(1);
}  // namespace

void Drainer::set_paused(bool paused, std::string actor, std::function<void(Status)> done) {
  // Durable first: a pause acknowledged to the operator survives kill -9.
  outstanding_.fetch_add(1);
  wal_.writer().put_meta(
      std::string(kMetaPaused), paused ? "1" : "0",
      [this, paused, actor = std::move(actor), done = std::move(done)](Status s) {
        boost::asio::post(strand_, [this, paused, actor, done, s] {
          outstanding_.fetch_sub(1);
          if (s.is_ok() && !stopping_) {
            scheduler_->set_all_paused(paused);
            cached_.reset();
            log_.info("replay", paused ? "drain paused" : "drain resumed", {{"actor", actor}});
            pump();
          }
          done(s);
          maybe_finish_stop();
        });
      });
}

void Drainer::set_limits(double max_events_per_sec, uint32_t max_concurrency, std::string actor,
                         std::function<void(Status)> done) {
  if (max_events_per_sec < 0 || max_concurrency < 1 || max_concurrency > 4096) {
    return done(Status::invalid_argument(
        "max_events_per_sec must be >= 0 and max_concurrency between 1 and 4096"));
  }
  std::ostringstream text;
  text << max_events_per_sec << ' ' << max_concurrency;
  outstanding_.fetch_add(1);
  wal_.writer().put_meta(std::string(kMetaLimits), text.str(),
                         [this, max_events_per_sec, max_concurrency, actor = std::move(actor),
                          done = std::move(done)](Status s) {
                           boost::asio::post(strand_, [=, this] {
                             outstanding_.fetch_sub(1);
                             if (s.is_ok() && !stopping_) {
                               apply_limits(max_events_per_sec, max_concurrency);
                               log_.info("replay", "drain limits changed",
                                         {{"actor", actor},
                                          {"max_events_per_sec", max_events_per_sec},
                                          {"max_concurrency", max_concurrency}});
                               pump();
                             }
                             done(s);
                             maybe_finish_stop();
                           });
                         });
}

void Drainer::apply_limits(double max_events_per_sec, uint32_t max_concurrency) {
  options_.max_events_per_sec = max_events_per_sec;
  options_.concurrency.max_limit = max_concurrency;
  rate_.set_rate(max_events_per_sec);
  limit_.set_bounds(std::min(options_.concurrency.min_limit, max_concurrency), max_concurrency);
  cached_.reset();
}

void Drainer::snapshot(std::function<void(const DrainSnapshot&)> done) {
  post_counted([this, done = std::move(done)] {
    auto now = clock_.steady();
    if (!cached_ || now - cached_at_ > kSnapshotMaxAge) {
      cached_ = build_snapshot();
      cached_at_ = now;
    }
    done(*cached_);
    maybe_finish_stop();
  });
}

std::string Drainer::state_name() {
  if (stopping_) return "stopped";
  if (scheduler_->all_paused()) return "paused";
  if (breaker_.state() != BreakerState::kClosed) return "circuit_open";
  if (clock_.steady() < hold_until_) return "backing_off";
  for (const auto& [id, f] : flights_) {
    if (f->retry_timer && !f->sending) return "backing_off";  // waiting to re-send
  }
  return "running";
}

DrainSnapshot Drainer::build_snapshot() {
  DrainSnapshot snap;
  snap.state = state_name();
  snap.policy = options_.scheduler.policy == DrainPolicy::kFair      ? "fair"
                : options_.scheduler.policy == DrainPolicy::kCatchup ? "catchup"
                                                                     : "fifo";
  snap.concurrency_limit = limit_.limit();
  snap.max_concurrency = options_.concurrency.max_limit;
  snap.in_flight_requests = limit_.in_flight();
  snap.max_events_per_sec = options_.max_events_per_sec;
  snap.request_events = size_.events();
  snap.min_request_events = size_.options().min_events;
  snap.max_request_events = size_.options().max_events;
  snap.target_request_ms = static_cast<uint32_t>(size_.options().target.count());
  snap.cost_fixed_ms = size_.fixed_ms();
  snap.cost_per_event_us = size_.per_event_us();
  snap.ingest_rate = stats_.ingest_rate();
  snap.drain_rate = stats_.drain_rate();
  snap.delivered_total = stats_.delivered_total();
  snap.retries_total = retries_;
  snap.dead_lettered_total = dead_lettered_;
  snap.batches_total = batches_;
  snap.retries_by_reason = retries_by_reason_;
  snap.delivery_latency = delivery_latency_.snapshot();
  BreakerState circuit = breaker_.state();
  snap.circuit = circuit == BreakerState::kClosed ? "closed"
                 : circuit == BreakerState::kOpen ? "open"
                                                  : "half_open";
  auto now = clock_.steady();
  std::vector<BacklogShare> shares;
  for (const queue::AccountRecord& r : wal_.accounts().all()) {
    if (r.depth == 0) continue;
    AccountStatus st = scheduler_->status(r.id);
    AccountView v{r.id,
                  r.name,
                  r.depth,
                  r.bytes,
                  r.oldest_ms,
                  r.dead_count,
                  r.weight,
                  r.paused,
                  st.in_flight,
                  {},
                  stats_.account_rate(r.id, now),
                  std::nullopt};
    if (const std::string* e = stats_.last_error(r.id)) v.last_error = *e;
    snap.accounts.push_back(std::move(v));
    shares.push_back({r.depth, r.weight});
  }
  // ETA to real-time from the fair-share model at the measured drain capacity: an account
  // with backlog b catches up at sum_j min(b_j, b w_j / w) / C. Unknown while nothing drains.
  double capacity = snap.drain_rate;
  bool draining = capacity > 0 && snap.state != "paused";
  if (draining) {
    EtaModel model(shares);
    bool catchup = options_.scheduler.policy == DrainPolicy::kCatchup;
    std::vector<double> fair = catchup ? std::vector<double>() : model.fair_etas(capacity);
    for (size_t i = 0; i < snap.accounts.size(); ++i) {
      if (snap.accounts[i].paused) continue;
      snap.accounts[i].eta_s = catchup ? model.catchup_eta(shares[i], capacity) : fair[i];
    }
  }
  return snap;
}

}  // namespace spillway::replay
