#pragma once

#include <cstdint>

#include "common/logger.h"
#include "common/status.h"

namespace spillway::queue {
class LmdbEnv;
}

namespace spillway::queue::dedupe {

// Format version 1 -> 2 (docs/storage.md, "Changing the format"): moves the version-1 index
// (`dedupe`: account + hash -> seq + expiry) into sealed runs, chunk by chunk, each chunk in one
// transaction that writes its run and deletes the rows it moved, so a crash in the middle
// resumes where it stopped. The last transaction drops `dedupe` and `dedupe_expiry` and writes
// format_version 2. Keys keep their expiry: a key is first seen at expiry - window. Runs at
// open, before the writer starts. Errors: those of LMDB (kIoError, kCorruption, kUnavailable).
Status upgrade_from_v1(LmdbEnv& env, int64_t window_ms, int64_t now_ms, Logger& log);

}  // namespace spillway::queue::dedupe
