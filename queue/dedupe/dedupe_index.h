#pragma once

#include <lmdb.h>

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "common/logger.h"
#include "common/result.h"
#include "queue/dedupe/merge_plan.h"
#include "queue/dedupe/recent_keys.h"
#include "queue/dedupe/run_lookup.h"
#include "queue/lmdb_env.h"

namespace spillway::queue {
class WriteTxn;
}

namespace spillway::queue::dedupe {

class EntrySource;
class RunWriter;

struct IndexOptions {
  // The idempotency window (WalOptions::dedupe_window). 0: nothing is remembered.
  int64_t window_ms = 24 * 3600 * 1000;
  // The recent keys are sealed into a run at this many keys or this age, whichever comes first.
  // The bound of the index's anonymous memory: two tables of seal_keys (~70 bytes a key).
  uint64_t seal_keys = 131072;
  int64_t seal_interval_ms = 10 * 60 * 1000;
  // Bytes one maintenance transaction writes at most: the writer stall it may cause.
  uint64_t step_bytes = uint64_t{1} << 20;
};

struct IndexStats {
  uint64_t runs = 0;
  uint64_t run_keys = 0;
  uint64_t recent_keys = 0;
  uint64_t seals = 0;
  uint64_t merges = 0;
  uint64_t dropped_runs = 0;
  uint64_t maintenance_bytes = 0;
  uint64_t bloom_fetches = 0;  // Bloom rows read through LMDB (the rest are addressed directly)
  uint64_t pinned_bloom_chunks = 0;
  bool busy = false;  // a seal, merge or deletion is pending
};

// The idempotency index (docs/storage.md, "Idempotency index"): a key log the acknowledging
// commit appends to (MDB_APPEND: sequential pages only), the recent keys in memory, and
// immutable sorted runs with Bloom filters, sealed, merged and dropped by maintenance steps in
// transactions of their own. The per-key cost on the ack path does not depend on how many keys
// the index holds. Crash safety: a run becomes live in the same transaction that records the
// key-log position it covers (`dedupe_sealed_pos`); at open, the log after that position is
// the recent keys again, and rows of runs that never became live are garbage.
// Writer thread only (it reads and writes inside the writer's transactions).
class DedupeIndex {
 public:
  DedupeIndex(const Tables& tables, IndexOptions options, Logger& logger);
  ~DedupeIndex();
  DedupeIndex(const DedupeIndex&) = delete;
  DedupeIndex& operator=(const DedupeIndex&) = delete;

  // Loads the run directory and rebuilds the recent keys from the unsealed key log:
  // O(runs + seal_keys), whatever the window holds.
  Status open(MDB_env* env, int64_t now_ms);

  // -- Inside a group commit. find_many: for each key of a request (one answer per id, in
  // order), the seq of a copy seen within the window, or nullopt; kCorruption when a run is
  // damaged (the caller refuses the request: fail closed). Each run is probed for all keys
  // still unanswered, its Bloom blocks prefetched together (RunLookup::find_many).
  Result<std::vector<std::optional<Seq>>> find_many(MDB_txn* txn, std::span<const KeyId> ids,
                                                    int64_t now_ms);
  // The seq of a key added by this transaction or still among the recent keys (no run probed).
  std::optional<Seq> find_recent(const KeyId& id, int64_t now_ms) const;
  Status remember(WriteTxn& txn, const KeyEntry& e);
  void committed();
  void aborted();

  // -- Maintenance, between group commits, each step in its own write transaction.
  // Freezes the recent keys when due and starts their sort (off this thread).
  void tick(int64_t now_ms);
  bool has_work(int64_t now_ms);
  // The recent keys are past twice the seal bound: steps must run before more appends.
  bool must_work() const;
  // One step in a write transaction of its own: begin, step, commit. On failure nothing of the
  // step stays, and the next one starts over where the store is.
  Status run_step(MDB_env* env, int64_t now_ms);

  IndexStats stats() const;
  size_t live_runs() const { return runs_.size(); }

 private:
  struct Build;
  struct Effects;
  Status load_runs(MDB_txn* txn);
  Status find_garbage(MDB_txn* txn);
  Status load_recent(MDB_txn* txn, int64_t now_ms);
  void start_seal_if_sorted();
  void start_merge(int64_t now_ms);
  Status step(WriteTxn& txn, int64_t now_ms);
  void step_committed();
  void step_aborted();
  Status step_build(WriteTxn& txn, Build& build);
  Status step_expire(WriteTxn& txn, int64_t now_ms);
  Status step_collect(WriteTxn& txn);
  bool is_merge_input(uint64_t id) const;
  const codec::RunInfo* run(uint64_t id) const;

  const Tables& tables_;
  IndexOptions options_;
  MergePolicy policy_;
  Logger& log_;
  RecentKeys recent_;
  RunLookup lookup_;
  std::vector<codec::RunInfo> runs_;  // live runs, newest key first
  uint64_t next_pos_ = 1;             // next key-log position
  uint64_t txn_first_pos_ = 1;        // next_pos_ when the group transaction began
  uint64_t sealed_pos_ = 0;           // key-log rows up to here are in runs
  uint64_t next_run_id_ = 1;
  std::set<uint64_t> garbage_;  // run ids whose rows are to be deleted
  bool log_garbage_ = false;    // key-log rows <= sealed_pos_ remain
  std::future<std::vector<KeyEntry>> sorting_;
  uint64_t sorting_pos_ = 0;
  std::unique_ptr<Build> seal_;
  std::unique_ptr<Build> merge_;
  std::unique_ptr<Effects> effects_;  // of the step transaction in flight
  IndexStats stats_;
  std::chrono::steady_clock::time_point next_damage_log_{};
  // find_many's scratch, kept to spare allocations per request.
  std::vector<size_t> open_;
  std::vector<const KeyId*> open_ids_;
  std::vector<std::optional<KeyEntry>> found_;
};

}  // namespace spillway::queue::dedupe
