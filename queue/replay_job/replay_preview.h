#pragma once

#include <cstdint>
#include <map>

#include "common/ids.h"
#include "common/result.h"
#include "queue/replay_job/replay_job.h"

namespace spillway::queue {
class LmdbEnv;
}

namespace spillway::queue::replay_job {

// What a replay of `spec` would enqueue now: matching retained events per account.
struct ReplayPreview {
  std::map<AccountId, uint64_t> events;
  uint64_t matched = 0;
  uint64_t bytes = 0;
};

// A dry run: walks the retained events of the time range (found by bisection, then read in
// chunks of short read transactions), applying the same filters as the job. O(events in the
// range); nothing is written. Any thread; call it off the io threads for long ranges.
Result<ReplayPreview> preview_replay(const LmdbEnv& env, const ReplaySpec& spec);

}  // namespace spillway::queue::replay_job
