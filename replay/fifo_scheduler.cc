#include "replay/fifo_scheduler.h"

#include <algorithm>

#include "common/assert.h"

namespace spillway::replay {

void FifoScheduler::on_enter(Account& a, bool fresh) {
  // A returning account (slice completed, or resumed) keeps its original place in line.
  if (fresh || a.since == 0) a.since = next_since_++;
  const bool inserted = order_.emplace(a.since, &a).second;
  SPW_ASSERT(inserted);
}

void FifoScheduler::on_leave(Account& a) {
  const size_t erased = order_.erase(a.since);
  SPW_ASSERT(erased == 1);
}

Scheduler::Pick FifoScheduler::pick(uint64_t room) {
  if (order_.empty()) return {};
  Account& a = *order_.begin()->second;
  return {&a, std::min(room, available(a))};
}

}  // namespace spillway::replay
