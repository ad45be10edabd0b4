#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "queue/dedupe/key_entry.h"

namespace spillway::queue::dedupe {

// The keys of the key log that no sealed run covers yet, in memory for lookup: the `active`
// table takes new keys; `frozen` holds the keys being sealed into a run until the run commits.
// Both are bounded by the seal threshold (the writer seals before either grows past it), so
// this is the index's only anonymous memory that grows with load. Keys added inside a write
// transaction are undone with rollback() when that transaction does not commit.
// Writer thread only.
class RecentKeys {
 public:
  RecentKeys() = default;
  RecentKeys(const RecentKeys&) = delete;
  RecentKeys& operator=(const RecentKeys&) = delete;

  std::optional<KeyEntry> find(const KeyId& id) const;
  // Adds a key of the transaction in progress at key-log position `pos`.
  void add(const KeyEntry& e, uint64_t pos);
  // The transaction committed / did not: its keys stay / go.
  void commit() {
    pending_.clear();
    committed_last_pos_ = active_last_pos_;
  }
  void rollback();

  size_t active_size() const { return active_.size(); }
  int64_t active_oldest_ms() const { return active_oldest_ms_; }
  bool has_frozen() const { return frozen_last_pos_.has_value(); }
  // Moves the active keys to `frozen` (precondition: no frozen table, nothing pending).
  // Returns the last key-log position they cover.
  uint64_t freeze();
  // The frozen keys' run committed: forget them.
  void drop_frozen();
  size_t frozen_size() const { return frozen_.size(); }
  // The frozen keys again, unsorted (a seal that failed starts over).
  std::vector<KeyEntry> frozen_entries() const;

 private:
  struct Slot {
    Seq seq;
    int64_t seen_ms = 0;
  };
  using Table = std::unordered_map<KeyId, Slot>;
  Table active_;
  Table frozen_;
  std::vector<KeyId> pending_;
  int64_t active_oldest_ms_ = 0;
  uint64_t active_last_pos_ = 0;
  uint64_t committed_last_pos_ = 0;  // a rollback returns here: freeze() never covers more
  std::optional<uint64_t> frozen_last_pos_;
};

}  // namespace spillway::queue::dedupe
