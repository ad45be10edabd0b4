#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "queue/account_table.h"
#include "replay/drain_snapshot.h"

namespace spillway::app {

enum class BacklogSort { kDepth, kAge, kEta };

// The body of GET /v1/backlog: totals, drain state, limits, rates and the top `top` accounts by
// `sort` (docs/http_api.md). `now_ms` is wall time, for ages.
nlohmann::json backlog_json(const replay::DrainSnapshot& snap,
                            const queue::AccountTable::Totals& totals, size_t top, BacklogSort sort,
                            int64_t now_ms);
// One account (GET /v1/accounts/{name}); `view` is its backlog entry when it has one.
nlohmann::json account_json(const queue::AccountRecord& rec, const replay::AccountView* view,
                            int64_t now_ms);

}  // namespace spillway::app
