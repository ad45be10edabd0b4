#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "queue/replay_job/replay_job.h"

// Byte layout of `replay_jobs` rows (docs/storage.md, "Replay jobs").
namespace spillway::queue::replay_job::codec {

inline constexpr std::string_view kMetaNextReplayId = "next_replay_id";

std::string job_key(uint64_t id);
std::string job_value(const ReplayJob& job);
// kCorruption for a short or damaged row or a CRC mismatch.
Result<ReplayJob> parse_job(std::string_view key, std::string_view value);

}  // namespace spillway::queue::replay_job::codec
