#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "queue/account_table.h"
#include "replay/drain_snapshot.h"

namespace spillway::queue::retain {
struct RetainedStats;
}

namespace spillway::app {

enum class BacklogSort { kDepth, kAge, kEta };

// The body of GET /v1/backlog: totals, drain state, limits, rates and the top `top` accounts by
// `sort` (docs/http_api.md). `now_ms` is wall time, for ages.
nlohmann::json backlog_json(const replay::DrainSnapshot& snap,
                            const queue::AccountTable::Totals& totals, size_t top, BacklogSort sort,
                            int64_t now_ms);
// The retention settings the "retention" object reports next to the retained stats.
struct RetentionSettings {
  int64_t keep_s = 0;      // --retain-delivered-s; 0: retention off
  uint64_t max_bytes = 0;  // --retain-max-bytes; 0: no byte budget
};
// The "retention" object of GET /v1/backlog (docs/http_api.md): the delivered events kept for
// replay, how far back a replay can reach (the oldest delivery time), the drops by reason and
// the replay jobs still enqueueing. `now_ms` is wall time, for the age.
nlohmann::json retention_json(const queue::retain::RetainedStats& stats, RetentionSettings settings,
                              uint64_t jobs_running, int64_t now_ms);
// One account (GET /v1/accounts/{name}); `view` is its backlog entry when it has one.
nlohmann::json account_json(const queue::AccountRecord& rec, const replay::AccountView* view,
                            int64_t now_ms);

}  // namespace spillway::app
