#include "replay/catchup_scheduler.h"

#include <algorithm>

#include "common/assert.h"

namespace spillway::replay {

// Invariant: a listed account is in order_ under the key {a.key, a.id}, where
// a.key = depth / weight + aging × a.mark and a.mark is the aging clock (progress_) when it
// entered after being empty (capped, see on_enter). Its effective priority at clock p is
// depth / weight - aging × (p - mark); every listed account loses the same aging × p, so the
// order only changes when an account's own depth or weight does.

CatchupScheduler::CatchupScheduler(double aging_per_event)
    : aging_(std::max(0.0, aging_per_event)) {}

void CatchupScheduler::on_enter(Account& a, bool fresh) {
  // An account that was empty starts waiting at most that far behind the longest waiter (or
  // now, if that is sooner); one coming back from its slice (or a pause) keeps its mark.
  if (fresh) {
    a.mark = progress_;
    if (aging_ > 0 && !marks_.empty()) {
      const double oldest = *marks_.begin();
      a.mark = std::min(a.mark,
                        oldest + kFreshHandicap / aging_ + kFreshAgingShare * (progress_ - oldest));
    }
  }
  insert(a);
}

void CatchupScheduler::on_leave(Account& a) { erase(a); }

void CatchupScheduler::on_depth_change(Account& a) {
  erase(a);
  insert(a);
}

void CatchupScheduler::on_weight_change(Account& a, uint32_t old_weight) {
  (void)old_weight;
  on_depth_change(a);
}

void CatchupScheduler::on_complete(Account& a, uint64_t taken) {
  (void)a;
  progress_ += static_cast<double>(taken);
}

Scheduler::Pick CatchupScheduler::pick(uint64_t room) {
  if (order_.empty()) return {};
  Account& a = *order_.begin()->second;
  return {&a, std::min(room, available(a))};
}

void CatchupScheduler::insert(Account& a) {
  a.key = static_cast<double>(a.depth) / a.weight + aging_ * a.mark;
  const bool inserted = order_.emplace(Key{a.key, a.id.value}, &a).second;
  SPW_ASSERT(inserted);
  marks_.insert(a.mark);
}

void CatchupScheduler::erase(const Account& a) {
  const size_t erased = order_.erase(Key{a.key, a.id.value});
  SPW_ASSERT(erased == 1);
  auto m = marks_.find(a.mark);
  SPW_ASSERT(m != marks_.end());
  marks_.erase(m);
}

}  // namespace spillway::replay
