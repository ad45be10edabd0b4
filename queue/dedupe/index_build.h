#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "queue/dedupe/dedupe_index.h"
#include "queue/dedupe/entry_source.h"
#include "queue/dedupe/run_writer.h"

namespace spillway::queue::dedupe {

// A run being written across maintenance steps: a seal of the frozen recent keys, or a merge.
struct DedupeIndex::Build {
  std::unique_ptr<EntrySource> source;
  std::unique_ptr<RunWriter> writer;
  std::vector<uint64_t> inputs;        // runs it replaces (merge)
  std::optional<uint64_t> sealed_pos;  // key-log position it covers (seal)
};

// What a maintenance transaction changed, applied to the in-memory state only once it commits.
struct DedupeIndex::Effects {
  std::optional<codec::RunInfo> added;
  const Build* stepped = nullptr;  // the build this step wrote to, if any
  bool built = false;              // ... and it finished
  bool was_seal = false;
  std::vector<uint64_t> retired;       // run records deleted: their rows become garbage
  std::optional<uint64_t> sealed_pos;  // new dedupe_sealed_pos
  std::vector<uint64_t> collected;     // garbage runs with no rows left
  bool log_collected = false;          // no key-log row <= sealed_pos_ left
};

}  // namespace spillway::queue::dedupe
