#include "replay/drainer.h"

#include <boost/asio/post.hpp>
#include <random>
#include <sstream>

#include "queue/wal.h"

namespace spillway::replay {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr std::string_view kMetaPaused = "drain_paused";
constexpr std::string_view kMetaLimits = "drain_limits";
// How long draining pauses after a settle (ack) could not be committed.
constexpr std::chrono::seconds kSettleFailureHold{1};
// Acknowledged requests before the cost model judges latency for AIMD.
constexpr uint64_t kModelSamples = 8;

uint64_t seed_of(uint64_t configured) {
  return configured != 0 ? configured : std::random_device{}();
}

RequestSizeOptions size_options(const ReplayOptions& options) {
  RequestSizeOptions o = options.request_size;
  o.max_events = options.max_batch_events;
  return o;
}

}  // namespace

Drainer::Drainer(boost::asio::io_context& io, queue::Wal& wal, Downstream& sink,
                 const ReplayOptions& options, const Clock& clock, Logger& logger)
    : io_(io),
      strand_(boost::asio::make_strand(io)),
      wal_(wal),
      sink_(sink),
      options_(options),
      clock_(clock),
      log_(logger),
      scheduler_(make_scheduler(options.scheduler)),
      builder_(wal.reader(), wal.accounts(), logger),
      limit_(options.concurrency),
      size_(size_options(options)),
      breaker_(clock, options.breaker, seed_of(options.seed)),
      rate_(clock, options.max_events_per_sec),
      wake_(strand_),
      ticker_(strand_) {}

Drainer::~Drainer() { SPW_ASSERT(!started_ || stopped_); }

Status Drainer::start() {
  auto paused = wal_.reader().meta(kMetaPaused);
  if (!paused) return paused.status();
  auto limits = wal_.reader().meta(kMetaLimits);
  if (!limits) return limits.status();
  started_ = true;
  // Subscribe first, then load: a commit racing the load is applied again, which is harmless
  // because sync_account() reads absolute values from the account table.
  wal_.writer().set_commit_listener([this](const queue::CommitSummary& s) {
    post_counted([this, ids = s.changed] {
      if (stopping_) return maybe_finish_stop();
      on_commit(ids);
    });
  });
  bool is_paused = paused->has_value() && **paused == "1";
  std::optional<std::string> limit_text = *limits;
  post_counted([this, is_paused, limit_text] {
    if (limit_text) {
      double rate = 0;
      uint32_t conc = options_.concurrency.max_limit;
      std::istringstream(*limit_text) >> rate >> conc;
      apply_limits(rate, conc);
    }
    scheduler_->set_all_paused(is_paused);
    for (const queue::AccountRecord& r : wal_.accounts().all()) sync_account(r.id);
    log_.info("replay", "drain started",
              {{"paused", is_paused}, {"backlog", scheduler_->total_depth()}});
    tick();
    pump();
  });
  return Status::ok();
}

void Drainer::on_commit(std::vector<AccountId> changed) {
  for (AccountId id : changed) sync_account(id);
  pump();
}

// Brings the scheduler's view of one account in line with the committed account table. An
// account with a slice in flight is synced when that slice completes instead: until then the
// table still counts the events being delivered.
void Drainer::sync_account(AccountId id) {
  auto rec = wal_.accounts().get(id);
  if (!rec) return;
  scheduler_->set_paused(id, rec->paused);
  scheduler_->set_weight(id, rec->weight);
  AccountStatus st = scheduler_->status(id);
  if (!st.in_flight && st.reserved == 0) scheduler_->set_backlog(id, rec->depth);
}

void Drainer::stop(std::function<void()> done) {
  // No commit notifications from here on (synchronous with the writer's calls to it).
  wal_.writer().set_commit_listener(nullptr);
  post_counted([this, done = std::move(done)]() mutable {
    stopping_ = true;
    stop_done_ = std::move(done);
    wake_.cancel();
    ticker_.cancel();
    // Requests waiting to be re-sent are abandoned: their events stay queued.
    for (auto it = flights_.begin(); it != flights_.end();) {
      if (it->second->sending) {
        ++it;
      } else {
        if (it->second->retry_timer) it->second->retry_timer->cancel();
        it = flights_.erase(it);
      }
    }
    ready_.clear();
    stop_timer_ = std::make_unique<boost::asio::steady_timer>(strand_, options_.stop_timeout);
    stop_timer_->async_wait(counted([this](boost::system::error_code ec) {
      if (!ec && stop_done_ && !flights_.empty()) {
        log_.warn("replay", "stop timed out; undelivered requests stay queued",
                  {{"in_flight", static_cast<uint64_t>(flights_.size())}});
        flights_.clear();
      }
      maybe_finish_stop();
    }));
    maybe_finish_stop();
  });
}

// Completes stop() once no request is in flight and no counted operation (timer, post,
// sink or writer callback) can still call into this object, so the owner may destroy it.
void Drainer::maybe_finish_stop() {
  if (!stopping_ || !flights_.empty() || !stop_done_) return;
  if (stop_timer_) stop_timer_->cancel();  // its handler is counted and comes back here
  if (outstanding_.load() > 0) return;
  log_.info("replay", "drain stopped", {{"delivered", stats_.delivered_total()}});
  stopped_ = true;
  auto done = std::move(stop_done_);
  stop_done_ = nullptr;
  done();  // nothing may touch `this` after this call
}

bool Drainer::gates_open(SteadyClock::time_point now) {
  if (stopping_ || scheduler_->all_paused()) return false;
  if (now < hold_until_) {
    arm_wake(hold_until_);
    return false;
  }
  return limit_.can_send();
}

void Drainer::pump() {
  for (;;) {
    auto now = clock_.steady();
    if (!gates_open(now)) return;
    Flight* flight = nullptr;
    if (!ready_.empty()) {
      auto it = flights_.find(ready_.front());
      if (it == flights_.end()) {
        ready_.pop_front();
        continue;
      }
      flight = it->second.get();
    } else {
      flight = build_next(now);
      if (flight == nullptr) return;
      if (flight->pending.empty()) {  // only damaged events: nothing to send
        finalize(*flight);
        continue;
      }
      ready_.push_back(flight->id);
    }
    if (!breaker_.allow()) {
      arm_wake(std::max(breaker_.reopen_at(), now + std::chrono::milliseconds(10)));
      return;
    }
    ready_.pop_front();
    send(*flight);
  }
}

// Builds the next request. Its size comes from the cost model (RequestSize); how many are in
// flight from AIMD (gates_open). nullptr when nothing may or can be sent now.
Flight* Drainer::build_next(SteadyClock::time_point now) {
  const uint64_t allowed = rate_.available();
  const uint64_t room = std::min<uint64_t>(size_.events(), allowed);
  if (room == 0) {
    arm_wake(now + std::chrono::duration_cast<SteadyClock::duration>(rate_.time_until(1)));
    return nullptr;
  }
  // A fixed size (target 0) keeps the behaviour from before: every request goes at once.
  const bool small = size_.adaptive() && 2 * scheduler_->eligible_events() < room;
  // A small request (live events of caught-up accounts, typically) goes out only when nothing
  // else is on the wire: each request costs the downstream a fixed part, and one that serves a
  // request at a time would queue it behind the one in service anyway. Its events ride in the
  // request built when that one completes (pump() runs then), with the accounts it frees.
  // "One small request at a time" still let a third of all requests be small on the capacity
  // matrix (1.6-2.0% of C at C = 5,000 in fixed parts).
  if (small && limit_.in_flight() > 0) return nullptr;
  // Three requests' worth: with turns that small, the accounts of about three requests are out
  // at a time, so requests stay full whatever AIMD allows. A pipeline that grew with the
  // requests out (tried for issue 14) made turns larger, left few accounts in the rotation,
  // and cut requests short at the end of each pass (unit test "requests stay full").
  scheduler_->set_pipeline_events(uint64_t{3} * size_.events());
  // The request holds at most its size, even when few accounts are left and the fair turn (a
  // share of three requests) is larger: the rest of the turn goes in the account's next
  // request. Every live event that arrives meanwhile waits behind this request; when the last
  // grant could take a whole turn, requests in the tail of a drain reached 3-4x the size (5,000
  // events, 1 s at 5,000 events/s) and caught-up accounts' live events waited over 1 s.
  std::unique_ptr<Flight> built = builder_.build(*scheduler_, room, options_.max_batch_bytes);
  if (!built) return nullptr;
  built->id = next_flight_id_++;
  built->backoff = Backoff(options_.retry, seed_of(options_.seed) + built->id);
  rate_.take(built->pending.empty() ? 0 : built->pending.front()->items.size());
  batches_ += 1;
  Flight* flight = built.get();
  flights_.emplace(flight->id, std::move(built));
  return flight;
}

void Drainer::send(Flight& flight) {
  SPW_ASSERT(!flight.pending.empty() && !flight.sending);
  flight.sending = true;
  flight.retry_timer.reset();
  flight.attempts += 1;
  flight.ticket = limit_.on_send();
  flight.sent_at = clock_.steady();
  uint64_t id = flight.id;
  outstanding_.fetch_add(1);  // the sink's callback posts back here, even after stop()
  sink_.deliver(flight.pending.front(), [this, id](DeliveryResult result) {
    boost::asio::post(strand_, [this, id, r = std::move(result)]() mutable {
      outstanding_.fetch_sub(1);
      on_result(id, std::move(r));
    });
  });
}

void Drainer::on_result(uint64_t flight_id, DeliveryResult result) {
  auto it = flights_.find(flight_id);
  if (it == flights_.end()) return maybe_finish_stop();  // abandoned by a timed-out stop
  Flight& flight = *it->second;
  flight.sending = false;
  delivery_latency_.observe(std::chrono::duration<double>(result.latency).count());
  switch (result.kind) {
    case DeliveryResult::Kind::kAccepted:
      on_accepted(flight, result);
      break;
    case DeliveryResult::Kind::kRetryable:
      on_retryable(flight, result);
      break;
    case DeliveryResult::Kind::kRejected:
      on_rejected(flight, result);
      break;
  }
  pump();
}

void Drainer::on_accepted(Flight& flight, const DeliveryResult& result) {
  const uint64_t events = flight.pending.front()->items.size();
  const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(result.latency);
  if (size_.adaptive() && size_.samples() >= kModelSamples) {
    // AIMD judges queueing against the cost model: a request may wait for about one and a
    // half requests of the current size ahead of it (one queued behind the one in service
    // keeps a serial downstream busy across round trips; the half is slack for them), but
    // never more than 1.5 targets: when requests are larger than the target (the efficiency
    // floor, or a misread model), live events would otherwise wait behind several of them.
    const double ahead_ms = std::min(size_.cost_ms(size_.events()),
                                     static_cast<double>(size_.options().target.count()));
    const double allowed_ms = size_.cost_ms(events) + 1.5 * ahead_ms;
    limit_.on_success(flight.ticket, latency, events,
                      std::chrono::microseconds(static_cast<int64_t>(allowed_ms * 1000)));
  } else {
    limit_.on_success(flight.ticket, latency, events);
  }
  // Completion as this strand sees it: the order in which answers are handled is the order
  // the cost of each is measured in (RequestSize skips the implausible samples it makes).
  size_.on_success(events, flight.sent_at, clock_.steady());
  if (breaker_.on_success() == BreakerTransition::kClosed) {
    limit_.reset();
    log_.info("replay", "circuit closed, ramping up from concurrency 1");
  }
  flight.backoff.reset();
  auto now = clock_.steady();
  for (const DeliveryItem& item : flight.pending.front()->items) {
    stats_.delivered(item.account, 1, now);
  }
  flight.pending.pop_front();
  if (flight.pending.empty()) return finalize(flight);
  if (!stopping_) ready_.push_front(flight.id);
}

void Drainer::on_retryable(Flight& flight, const DeliveryResult& result) {
  limit_.on_failure(flight.ticket);
  size_.on_failure(flight.sent_at, clock_.steady());
  retries_ += 1;
  retries_by_reason_[static_cast<size_t>(classify_retry(result))] += 1;
  if (breaker_.on_failure(result.retry_after) == BreakerTransition::kOpened) {
    log_.warn("replay", "circuit open: downstream failing", {{"error", result.detail}});
  }
  for (const Slice& s : flight.slices) stats_.failed(s.account, result.detail);
  if (stopping_) {
    flights_.erase(flight.id);  // stays queued; delivered again after the restart
    return maybe_finish_stop();
  }
  auto delay = flight.backoff.next(result.retry_after);
  if (result.retry_after) {
    hold_until_ = std::max(hold_until_, clock_.steady() + delay);
  }
  flight.retry_timer = std::make_unique<boost::asio::steady_timer>(strand_, delay);
  uint64_t id = flight.id;
  flight.retry_timer->async_wait(counted([this, id](boost::system::error_code ec) {
    if (ec || stopping_ || flights_.find(id) == flights_.end()) return maybe_finish_stop();
    ready_.push_back(id);
    pump();
  }));
}

// Some event of the batch is refused for good. Halve it until the refused events stand alone;
// each lone refused event becomes a dead letter, the rest is delivered in order.
void Drainer::on_rejected(Flight& flight, const DeliveryResult& result) {
  limit_.on_success(flight.ticket,
                    std::chrono::duration_cast<std::chrono::microseconds>(result.latency),
                    flight.pending.front()->items.size());
  (void)breaker_.on_success();
  size_.on_failure(flight.sent_at, clock_.steady());  // a refusal says little about its cost
  std::shared_ptr<const DeliveryBatch> batch = flight.pending.front();
  flight.pending.pop_front();
  if (batch->items.size() > 1) {
    auto [first, second] = split_batch(*batch);
    flight.pending.push_front(std::move(second));
    flight.pending.push_front(std::move(first));
  } else {
    const DeliveryItem& item = batch->items.front();
    for (Slice& s : flight.slices) {
      if (s.account != item.account) continue;
      s.dead.push_back({item.seq, "downstream rejected: " + result.detail, flight.attempts});
    }
    dead_lettered_ += 1;
    stats_.failed(item.account, result.detail);
    log_.warn(
        "replay", "event dead-lettered",
        {{"account", item.account_name}, {"seq", item.seq.value}, {"status", result.http_status}});
  }
  if (flight.pending.empty()) return finalize(flight);
  if (!stopping_) ready_.push_front(flight.id);
}

// Records the flight's outcome: one settle per account (they share a group commit). The
// accounts stay in flight until every settle has committed.
void Drainer::finalize(Flight& flight) {
  auto remaining = std::make_shared<size_t>(flight.slices.size());
  uint64_t id = flight.id;
  for (const Slice& s : flight.slices) {
    queue::SettleRequest req{s.account, {}, s.dead};
    for (Seq q : s.seqs) {
      bool dead = std::any_of(s.dead.begin(), s.dead.end(),
                              [&](const queue::DeadIn& d) { return d.seq == q; });
      if (!dead) req.delivered.push_back(q);
    }
    outstanding_.fetch_add(1);
    wal_.writer().settle(std::move(req), [this, id, remaining, account = s.account](Status st) {
      boost::asio::post(strand_, [this, id, remaining, account, st] {
        outstanding_.fetch_sub(1);
        if (!st.is_ok()) {
          log_.error("replay", "could not record delivery; events will be delivered again",
                     {{"account", uint64_t{account.value}}, {"error", st.message()}});
          // The store cannot record acks now (failed commit, MAP_FULL): re-sending at once
          // would deliver the same events again and again until it recovers. Back off.
          hold_until_ = std::max(hold_until_, clock_.steady() + kSettleFailureHold);
        }
        if (--*remaining == 0) on_settled(id);
      });
    });
  }
}

void Drainer::on_settled(uint64_t flight_id) {
  auto it = flights_.find(flight_id);
  if (it == flights_.end()) return maybe_finish_stop();
  for (const Slice& s : it->second->slices) {
    // The table already reflects the settle (published before completions run); a failed
    // settle leaves the events counted, so the resync below schedules them again.
    AccountStatus st = scheduler_->status(s.account);
    scheduler_->complete(s.account, std::min<uint64_t>(st.reserved, s.seqs.size()));
    sync_account(s.account);
  }
  flights_.erase(it);
  maybe_finish_stop();
  pump();
}

void Drainer::arm_wake(SteadyClock::time_point at) {
  if (wake_at_ > clock_.steady() && wake_at_ <= at) return;  // an earlier wake is pending
  wake_at_ = at;
  wake_.expires_at(at);
  wake_.async_wait(counted([this](boost::system::error_code ec) {
    if (ec || stopping_) return maybe_finish_stop();
    pump();
  }));
}

void Drainer::tick() {
  if (stopping_) return;
  stats_.tick(wal_.writer().stats().events, clock_.steady());
  ticker_.expires_after(std::chrono::seconds(1));
  ticker_.async_wait(counted([this](boost::system::error_code ec) {
    if (ec || stopping_) return maybe_finish_stop();
    tick();
    pump();  // liveness: nothing waits longer than a second for a lost wake-up
  }));
}

}  // namespace spillway::replay
