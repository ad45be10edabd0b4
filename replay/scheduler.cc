#include "replay/scheduler.h"

#include <algorithm>

#include "common/assert.h"
#include "replay/catchup_scheduler.h"
#include "replay/fair_scheduler.h"
#include "replay/fifo_scheduler.h"

namespace spillway::replay {

// Invariant kept by refresh() after every change: a.listed == eligible(a), where eligible means
// not paused, not in flight and available(a) > 0. An open account (granted in the request being
// filled) stays eligible so it can take another turn in the same request: its slices are
// contiguous, so its order still holds; it becomes in flight only at seal().

Scheduler::Account& Scheduler::account(AccountId id) {
  auto [it, inserted] = accounts_.try_emplace(id);
  if (inserted) it->second.id = id;
  return it->second;
}

void Scheduler::refresh(Account& a, bool fresh) {
  const bool eligible = !a.paused && !a.in_flight && available(a) > 0;
  if (eligible && !a.listed) {
    a.listed = true;
    on_enter(a, fresh);
  } else if (!eligible && a.listed) {
    a.listed = false;
    on_leave(a);
  }
  // Every change of depth, reservation or eligibility ends here.
  const uint64_t now = a.listed ? available(a) : 0;
  eligible_events_ = eligible_events_ - a.counted + now;
  a.counted = now;
}

void Scheduler::change_depth(Account& a, uint64_t depth) {
  total_depth_ = total_depth_ - a.depth + depth;
  depths_.remove(a.depth, a.weight);
  depths_.add(depth, a.weight);
  a.depth = depth;
}

void Scheduler::set_backlog(AccountId id, uint64_t depth) {
  Account& a = account(id);
  // An account that had nothing queued and nothing in flight was not seen recently.
  const bool fresh = a.depth == 0 && !a.in_flight && !a.open;
  if ((a.in_flight || a.open) && depth > a.depth) a.arrived += depth - a.depth;
  change_depth(a, depth);
  if (a.listed) on_depth_change(a);
  refresh(a, fresh);
}

void Scheduler::appended(AccountId id, uint64_t count) {
  if (count == 0) return;
  Account& a = account(id);
  set_backlog(id, a.depth + count);
}

std::optional<Grant> Scheduler::next(uint64_t room) {
  if (all_paused_ || room == 0) return std::nullopt;
  const Pick p = pick(room);
  if (p.account == nullptr) return std::nullopt;
  Account& a = *p.account;
  SPW_ASSERT(a.listed && p.events > 0 && p.events <= std::min(room, available(a)));
  a.reserved += p.events;
  if (!a.open) {
    a.open = true;
    open_.push_back(a.id);
  }
  refresh(a, false);
  return Grant{a.id, p.events};
}

void Scheduler::seal() {
  for (AccountId id : open_) {
    Account& a = account(id);
    // complete() before seal() (an abandoned request) already closed the account.
    if (!a.open) continue;
    a.open = false;
    a.in_flight = true;
    in_flight_weight_ += a.weight;
    refresh(a, false);
  }
  open_.clear();
  ++request_seq_;
}

void Scheduler::complete(AccountId id, uint64_t taken) {
  Account& a = account(id);
  SPW_ASSERT(a.open || a.in_flight);
  SPW_ASSERT(taken <= a.reserved);
  const uint64_t unused = a.reserved - taken;
  if (a.in_flight) in_flight_weight_ -= a.weight;
  a.reserved = 0;
  a.open = false;
  a.in_flight = false;
  change_depth(a, a.depth - std::min(a.depth, taken));
  if (a.listed) on_depth_change(a);
  // Refund what the drainer did not use (a byte limit cut the slice short), so the account
  // is charged only for events it actually sent.
  a.deficit += static_cast<int64_t>(unused);
  on_complete(a, taken);
  // Still backlogged after its own slice: a continuing account, unless the slice took all it
  // had before it went out. Then it had caught up, and what is queued now arrived meanwhile:
  // new traffic of an account that was empty, served first like any account that becomes
  // non-empty (FQ-CoDel's new flows), not after a round of the deep backlogs.
  const bool caught_up = a.depth > 0 && a.depth <= a.arrived;
  a.arrived = 0;
  refresh(a, caught_up);
}

void Scheduler::set_weight(AccountId id, uint32_t weight) {
  Account& a = account(id);
  const uint32_t old = a.weight;
  depths_.remove(a.depth, old);
  a.weight = std::max(1U, weight);
  depths_.add(a.depth, a.weight);
  if (a.in_flight) in_flight_weight_ = in_flight_weight_ - old + a.weight;
  if (a.listed) on_weight_change(a, old);
}

void Scheduler::set_paused(AccountId id, bool paused) {
  Account& a = account(id);
  a.paused = paused;
  refresh(a, false);
}

void Scheduler::set_all_paused(bool paused) { all_paused_ = paused; }

AccountStatus Scheduler::status(AccountId id) const {
  auto it = accounts_.find(id);
  if (it == accounts_.end()) return AccountStatus{id};
  const Account& a = it->second;
  return AccountStatus{id, a.depth, a.reserved, a.weight, a.paused, a.in_flight || a.open};
}

std::vector<AccountStatus> Scheduler::backlogged() const {
  std::vector<AccountStatus> out;
  for (const auto& [id, a] : accounts_) {
    if (a.depth > 0) out.push_back(status(id));
  }
  return out;
}

std::optional<DrainPolicy> parse_drain_policy(std::string_view name) {
  if (name == "fair") return DrainPolicy::kFair;
  if (name == "catchup") return DrainPolicy::kCatchup;
  if (name == "fifo") return DrainPolicy::kFifo;
  return std::nullopt;
}

std::string_view to_string(DrainPolicy policy) {
  switch (policy) {
    case DrainPolicy::kFair:
      return "fair";
    case DrainPolicy::kCatchup:
      return "catchup";
    case DrainPolicy::kFifo:
      return "fifo";
  }
  return "fair";
}

std::unique_ptr<Scheduler> make_scheduler(const SchedulerOptions& options) {
  switch (options.policy) {
    case DrainPolicy::kCatchup:
      return std::make_unique<CatchupScheduler>(options.aging_per_event);
    case DrainPolicy::kFifo:
      return std::make_unique<FifoScheduler>();
    case DrainPolicy::kFair:
      break;
  }
  return std::make_unique<FairScheduler>(options.quantum, options.pipeline_events);
}

}  // namespace spillway::replay
