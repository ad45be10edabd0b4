#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <utility>

#include "replay/scheduler.h"

namespace spillway::replay {

// Drain policy `catchup`: smallest remaining backlog (depth / weight) first, so the number of
// accounts behind falls as fast as possible, at the cost of isolation between accounts. Aging:
// waiting improves an account's priority by `aging_events_per_sec` events per second, so an
// account of depth d waits at most about d / aging seconds of draining for its next slice. Aging
// time runs only while requests are being filled (at most one second per request), so an outage
// or a pause, when nothing can be sent, does not age the accounts queued meanwhile into arrival
// order. Because every waiting account ages at the same rate, the order key depth/weight +
// aging × (aging time when it became eligible) never changes while it waits: an ordered map
// gives O(log n) per decision.
// The clock is borrowed and must outlive the scheduler. Thread affinity: see Scheduler.
class CatchupScheduler final : public Scheduler {
 public:
  CatchupScheduler(const Clock& clock, double aging_events_per_sec);

  size_t eligible_count() const override { return order_.size(); }

 private:
  using Key = std::pair<double, uint32_t>;  // priority, then account id for a total order

  void on_enter(Account& a, bool fresh) override;
  void on_leave(Account& a) override;
  void on_depth_change(Account& a) override;
  void on_weight_change(Account& a, uint32_t old_weight) override;
  Pick pick(uint64_t room) override;

  void insert(Account& a);
  void erase(const Account& a);

  const Clock& clock_;
  double aging_per_us_;
  std::chrono::steady_clock::time_point last_pick_;
  uint64_t aging_us_ = 0;  // aging time so far (µs)
  std::map<Key, Account*> order_;
};

}  // namespace spillway::replay
