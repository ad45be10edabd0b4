#pragma once

#include <string_view>

#include "queue/replay_job/replay_job.h"

namespace spillway::queue::replay_job {

// Whether a retained event matches the spec's account, type and event-name filters (the time
// range is applied by the caller). Parses the payload's top-level "type" and "event" strings
// only when those lists are set; a payload that does not parse then does not match.
// Any thread; no state.
bool matches_filters(const ReplaySpec& spec, AccountId account, std::string_view payload);

}  // namespace spillway::queue::replay_job
