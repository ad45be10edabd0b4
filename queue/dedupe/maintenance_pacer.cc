#include "queue/dedupe/maintenance_pacer.h"

#include <algorithm>

#include "queue/dedupe/dedupe_index.h"

namespace spillway::queue::dedupe {

std::chrono::milliseconds MaintenancePacer::wait(DedupeIndex& index, int64_t now_ms, bool idle,
                                                 std::chrono::milliseconds otherwise) const {
  if (!index.has_work(now_ms)) return otherwise;
  return idle && !failed_ ? std::chrono::milliseconds(0) : kStepGap;
}

void MaintenancePacer::run(DedupeIndex& index, MDB_env* env, int64_t now_ms, bool idle,
                           Logger& log) {
  bool eager = (idle && !failed_) || index.must_work();
  if (!eager && SteadyClock::now() < next_step_) return;
  do {
    if (!index.has_work(now_ms)) return;
    auto started = SteadyClock::now();
    Status s = index.run_step(env, now_ms);
    auto took = SteadyClock::now() - started;
    next_step_ = SteadyClock::now() + std::max<SteadyClock::duration>(kStepGap, 3 * took);
    step_seconds_.observe(std::chrono::duration<double>(took).count());
    failed_ = !s.is_ok();
    if (failed_) {
      log.warn("queue", "idempotency index step failed; retrying", {{"error", s.message()}});
      return;
    }
    index.tick(now_ms);
  } while (index.must_work());
}

}  // namespace spillway::queue::dedupe
