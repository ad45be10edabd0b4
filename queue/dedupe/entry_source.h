#pragma once

#include <lmdb.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "common/result.h"
#include "queue/dedupe/index_codec.h"
#include "queue/lmdb_env.h"

namespace spillway::queue::dedupe {

// Entries in strictly increasing KeyId order, for a RunWriter. `next` may be called in
// successive transactions: a source keeps its position as a key, never a cursor or a pointer
// into the map. Writer thread only.
class EntrySource {
 public:
  virtual ~EntrySource() = default;
  // The next entry, or nullopt at the end.
  virtual Result<std::optional<KeyEntry>> next(MDB_txn* txn) = 0;
  // An upper bound of the entries this source yields (sizes the run's Bloom filter).
  virtual uint64_t max_entries() const = 0;
};

// The frozen recent keys, sorted (off the writer thread) before the seal starts.
class SortedEntries final : public EntrySource {
 public:
  explicit SortedEntries(std::vector<KeyEntry> sorted) : entries_(std::move(sorted)) {}
  Result<std::optional<KeyEntry>> next(MDB_txn*) override;
  uint64_t max_entries() const override { return entries_.size(); }

 private:
  std::vector<KeyEntry> entries_;
  size_t pos_ = 0;
};

// Sorts and removes repeated ids, keeping the newest sighting.
void sort_entries(std::vector<KeyEntry>& entries);

// One run read block by block, in key order.
class RunEntries {
 public:
  RunEntries(const Tables& tables, codec::RunInfo run) : tables_(&tables), run_(run) {}
  // The current entry without consuming it; nullopt at the end of the run.
  Result<std::optional<KeyEntry>> peek(MDB_txn* txn);
  void pop() { ++pos_; }

 private:
  Status load_next_block(MDB_txn* txn);

  const Tables* tables_;
  codec::RunInfo run_;
  std::vector<KeyEntry> block_;
  size_t pos_ = 0;
  std::optional<KeyId> last_block_;  // key of the block in `block_`
  bool done_ = false;
};

// A k-way merge of runs. An id present in several runs is kept once, newest sighting first;
// entries whose window ended before `expired_before_ms` are dropped, so merging compacts.
class MergedRuns final : public EntrySource {
 public:
  MergedRuns(const Tables& tables, const std::vector<codec::RunInfo>& runs,
             int64_t expired_before_ms);
  Result<std::optional<KeyEntry>> next(MDB_txn* txn) override;
  uint64_t max_entries() const override { return max_entries_; }

 private:
  Result<std::optional<KeyEntry>> next_any(MDB_txn* txn);

  std::vector<RunEntries> inputs_;
  int64_t expired_before_ms_;
  uint64_t max_entries_ = 0;
};

}  // namespace spillway::queue::dedupe
