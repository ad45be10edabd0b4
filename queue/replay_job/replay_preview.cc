#include "queue/replay_job/replay_preview.h"

#include <algorithm>

#include "queue/replay_job/event_filter.h"
#include "queue/retain/retained_reader.h"

namespace spillway::queue::replay_job {
namespace {
constexpr uint32_t kChunk = 4096;
}  // namespace

Result<ReplayPreview> preview_replay(const LmdbEnv& env, const ReplaySpec& spec) {
  retain::RetainedReader reader(env);
  auto from = reader.first_delivered_at(spec.from_ms);
  if (!from) return from.status();
  ReplayPreview out;
  for (uint64_t next = *from;;) {
    auto chunk = reader.read(next, kChunk);
    if (!chunk) return chunk.status();
    for (const retain::RetainedEvent& e : *chunk) {
      if (e.delivered_ms > spec.to_ms) return out;
      if (!matches_filters(spec, e.account, e.payload)) continue;
      out.events[e.account] += 1;
      out.matched += 1;
      out.bytes += e.payload.size();
    }
    if (chunk->size() < kChunk) return out;
    next = chunk->back().id + 1;
  }
}

}  // namespace spillway::queue::replay_job
