#include "replay/catchup_scheduler.h"

#include <algorithm>

#include "common/assert.h"
#include "common/clock.h"

namespace spillway::replay {

namespace {
// The most aging time one request adds: the gap between two requests counts while the drain
// runs (round trips, rate cap), not while nothing could be sent.
constexpr auto kMaxAgingStep = std::chrono::seconds(1);
}  // namespace

// Invariant: a listed account is in order_ under the key {a.key, a.id}, where
// a.key = depth / weight + aging × a.since and a.since is the aging time (aging_us_) when it
// became eligible. Equivalently its effective priority at aging time t is
// depth / weight - aging × (t - since), and every listed account loses the same aging × t, so
// the order is stable while it waits.

CatchupScheduler::CatchupScheduler(const Clock& clock, double aging_events_per_sec)
    : clock_(clock),
      aging_per_us_(std::max(0.0, aging_events_per_sec) / 1e6),
      last_pick_(clock.steady()) {}

void CatchupScheduler::on_enter(Account& a, bool fresh) {
  (void)fresh;
  // Waiting restarts at each entry: after its slice an account queues again behind those that
  // have waited longer, which is what bounds every account's wait.
  a.since = aging_us_;
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

Scheduler::Pick CatchupScheduler::pick(uint64_t room) {
  const auto now = clock_.steady();
  const auto step = std::min<std::chrono::steady_clock::duration>(now - last_pick_, kMaxAgingStep);
  aging_us_ += static_cast<uint64_t>(
      std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(step).count()));
  last_pick_ = now;
  if (order_.empty()) return {};
  Account& a = *order_.begin()->second;
  return {&a, std::min(room, available(a))};
}

void CatchupScheduler::insert(Account& a) {
  a.key = static_cast<double>(a.depth) / a.weight + aging_per_us_ * static_cast<double>(a.since);
  const bool inserted = order_.emplace(Key{a.key, a.id.value}, &a).second;
  SPW_ASSERT(inserted);
}

void CatchupScheduler::erase(const Account& a) {
  const size_t erased = order_.erase(Key{a.key, a.id.value});
  SPW_ASSERT(erased == 1);
}

}  // namespace spillway::replay
