#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace spillway::queue {

class LmdbEnv;

// What a full walk of the store found. `problems` lists each inconsistency in words; an empty
// list means every invariant of docs/storage.md holds.
struct StoreReport {
  uint64_t accounts = 0;
  uint64_t events = 0;
  uint64_t event_bytes = 0;
  uint64_t dead_letters = 0;
  uint64_t credentials = 0;
  uint64_t dedupe_entries = 0;  // keys in the key log and in sealed runs
  uint64_t dedupe_runs = 0;
  uint64_t dedupe_garbage_rows = 0;  // rows of retired runs not yet deleted (not damage)
  uint64_t retained_events = 0;      // delivered events kept for replay
  uint64_t retained_bytes = 0;
  uint64_t staged_events = 0;  // inbox rows a crash left, moved at the next open (not damage)
  std::vector<std::string> problems;
  bool ok() const { return problems.empty(); }
};

// Walks every table in one read transaction and checks: each event and dead letter's CRC32C;
// per-account depth, bytes, head seq, oldest time and dead-letter counters against the scan;
// every seq below the account's next seq; names, credentials and idempotency keys pointing at
// existing accounts; the idempotency index's runs (queue/dedupe/index_check.h); the retained
// events (queue/retain/retained_check.h); rows staged in the inbox. O(store) time,
// O(accounts) memory: for `spillway verify`, tests and crash checks, never for the serving path.
// Errors: only failures to read; damage goes in the report.
Result<StoreReport> check_store(LmdbEnv& env, uint32_t max_problems = 100);

}  // namespace spillway::queue
