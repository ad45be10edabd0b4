#pragma once

#include <cstdint>
#include <map>

#include "replay/scheduler.h"

namespace spillway::replay {

// Drain policy `fifo`, the baseline for the outage drill: accounts in the order they became
// backlogged, each drained to empty before the next (DRR with an unbounded quantum). An account
// keeps its place while its slice is in flight, so it is served again first when it returns.
// O(log n) per decision. Thread affinity: see Scheduler.
class FifoScheduler final : public Scheduler {
 public:
  FifoScheduler() = default;

  size_t eligible_count() const override { return order_.size(); }

 private:
  void on_enter(Account& a, bool fresh) override;
  void on_leave(Account& a) override;
  Pick pick(uint64_t room) override;

  uint64_t next_since_ = 1;
  std::map<uint64_t, Account*> order_;  // by a.since, the order of becoming backlogged
};

}  // namespace spillway::replay
