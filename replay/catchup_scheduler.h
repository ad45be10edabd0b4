#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <utility>

#include "replay/scheduler.h"

namespace spillway::replay {

// Drain policy `catchup`: smallest remaining backlog (depth / weight) first, so the number of
// accounts behind falls as fast as possible, at the cost of isolation between accounts.
// Aging, so that nothing starves: while an account waits, every event delivered to another
// account improves its priority by `aging_per_event` events. The clock of aging is drain
// progress, not time: an outage or a pause, when nothing is delivered, ages nobody, so the
// accounts that filled up meanwhile are ranked by size, not by arrival.
// An account keeps its mark until it empties: one cut short by the room left in a request, or
// with live events arriving while its slice is in flight, keeps its place (and, smaller now,
// improves it) instead of queueing behind every account that waited longer.
// An account that was empty (a caught-up account's live events, a new account) enters close
// behind the longest waiter, not at the back: kFreshHandicap events of priority plus a tenth
// (kFreshAgingShare) of the aging that waiter has earned. It competes mostly on size, so a
// caught-up account stays close to real time instead of queueing behind every backlog that
// aged meanwhile; and since the handicap grows with the waiter's age, new small accounts
// arriving without end still cannot hold a large one back for ever: depth d waits at most
// about (d - kFreshHandicap) / (kFreshAgingShare × aging) events.
// Keys only change with an account's own depth, so ordered maps give O(log n) per decision.
// Thread affinity: see Scheduler.
class CatchupScheduler final : public Scheduler {
 public:
  explicit CatchupScheduler(double aging_per_event);

  size_t eligible_count() const override { return order_.size(); }

 private:
  using Key = std::pair<double, uint32_t>;  // priority, then account id for a total order

  void on_enter(Account& a, bool fresh) override;
  void on_leave(Account& a) override;
  void on_depth_change(Account& a) override;
  void on_weight_change(Account& a, uint32_t old_weight) override;
  void on_complete(Account& a, uint64_t taken) override;
  Pick pick(uint64_t room) override;

  void insert(Account& a);
  void erase(const Account& a);

  static constexpr double kFreshHandicap = 1000;
  static constexpr double kFreshAgingShare = 0.1;

  double aging_;
  double progress_ = 0;  // events completed so far, all accounts: the aging clock
  std::map<Key, Account*> order_;
  std::multiset<double> marks_;  // of listed accounts: the longest waiter is the first
};

}  // namespace spillway::replay
