#include "queue/dedupe/entry_source.h"

#include <algorithm>

#include "queue/lmdb_txn.h"

namespace spillway::queue::dedupe {

Result<std::optional<KeyEntry>> SortedEntries::next(MDB_txn*) {
  if (pos_ == entries_.size()) return std::optional<KeyEntry>();
  return std::optional<KeyEntry>(entries_[pos_++]);
}

void sort_entries(std::vector<KeyEntry>& entries) {
  std::sort(entries.begin(), entries.end(), [](const KeyEntry& a, const KeyEntry& b) {
    return a.id != b.id ? a.id < b.id : a.seen_ms > b.seen_ms;
  });
  auto same = [](const KeyEntry& a, const KeyEntry& b) { return a.id == b.id; };
  entries.erase(std::unique(entries.begin(), entries.end(), same), entries.end());
}

Status RunEntries::load_next_block(MDB_txn* txn) {
  block_.clear();
  pos_ = 0;
  auto cur = Cursor::open(txn, tables_->dedupe_blocks);
  if (!cur) return cur.status();
  // Blocks are keyed by their last id: seek the previous block, then step past it.
  auto found = last_block_ ? cur->seek(codec::block_key(run_.id, *last_block_))
                           : cur->seek(codec::run_key(run_.id));
  if (found.is_ok() && *found && last_block_) found = cur->next();
  if (!found) return found.status();
  auto key =
      *found ? codec::parse_block_key(cur->key()) : Result<codec::BlockKey>(codec::BlockKey{});
  if (!key) return key.status();
  if (!*found || key->run != run_.id) {
    done_ = true;
    return Status::ok();
  }
  auto block = codec::parse_block_value(cur->value());
  if (!block) {
    return Status::corruption("dedupe run " + std::to_string(run_.id) + ": " +
                              block.status().message());
  }
  for (size_t i = 0; i < block->count; ++i) block_.push_back(block->at(i));
  last_block_ = key->last;
  return Status::ok();
}

Result<std::optional<KeyEntry>> RunEntries::peek(MDB_txn* txn) {
  if (pos_ == block_.size() && !done_) {
    if (Status s = load_next_block(txn); !s.is_ok()) return s;
  }
  if (done_) return std::optional<KeyEntry>();
  return std::optional<KeyEntry>(block_[pos_]);
}

MergedRuns::MergedRuns(const Tables& tables, const std::vector<codec::RunInfo>& runs,
                       int64_t expired_before_ms)
    : expired_before_ms_(expired_before_ms) {
  for (const codec::RunInfo& r : runs) {
    inputs_.emplace_back(tables, r);
    max_entries_ += r.count;
  }
}

// The smallest id across the inputs; every input holding it moves past it.
Result<std::optional<KeyEntry>> MergedRuns::next_any(MDB_txn* txn) {
  std::optional<KeyEntry> best;
  for (RunEntries& in : inputs_) {
    auto head = in.peek(txn);
    if (!head) return head.status();
    if (!*head) continue;
    const KeyEntry& e = **head;
    if (!best || e.id < best->id || (e.id == best->id && e.seen_ms > best->seen_ms)) best = e;
  }
  if (!best) return best;
  for (RunEntries& in : inputs_) {
    auto head = in.peek(txn);
    if (!head) return head.status();
    if (*head && (*head)->id == best->id) in.pop();
  }
  return best;
}

Result<std::optional<KeyEntry>> MergedRuns::next(MDB_txn* txn) {
  for (;;) {
    auto e = next_any(txn);
    if (!e || !*e || (*e)->seen_ms >= expired_before_ms_) return e;
  }
}

}  // namespace spillway::queue::dedupe
