#include "queue/dedupe/maintenance_pacer.h"

#include <algorithm>

#include "queue/dedupe/dedupe_index.h"

namespace spillway::queue::dedupe {

std::chrono::milliseconds MaintenancePacer::wait(DedupeIndex& index, int64_t now_ms, bool idle,
                                                 std::chrono::milliseconds otherwise) const {
  if (!index.has_work(now_ms)) return otherwise;
  return idle && !failed_ ? std::chrono::milliseconds(0) : kStepGap;
}

MaintenancePacer::SteadyClock::duration MaintenancePacer::gap_after(SteadyClock::duration took,
                                                                    size_t runs) {
  SteadyClock::duration gap = 3 * took;
  if (runs > kRunsStall) {
    gap = took / 4;
  } else if (runs > kRunsSlow) {
    gap = took;
  }
  return runs > kRunsSlow ? gap : std::max<SteadyClock::duration>(kStepGap, gap);
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
    next_step_ = SteadyClock::now() + gap_after(took, index.live_runs());
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
