#include "queue/dedupe/recent_keys.h"

#include "common/assert.h"

namespace spillway::queue::dedupe {

std::optional<KeyEntry> RecentKeys::find(const KeyId& id) const {
  for (const Table* t : {&active_, &frozen_}) {
    auto it = t->find(id);
    if (it != t->end()) return KeyEntry{id, it->second.seq, it->second.seen_ms};
  }
  return std::nullopt;
}

void RecentKeys::add(const KeyEntry& e, uint64_t pos) {
  if (active_.empty()) active_oldest_ms_ = e.seen_ms;
  // A key found again after its window ended replaces the old entry (its new window starts).
  // Rolling it back erases both: the old one had expired, so nothing it answered is lost.
  active_.insert_or_assign(e.id, Slot{e.seq, e.seen_ms});
  pending_.push_back(e.id);
  active_last_pos_ = pos;
}

void RecentKeys::rollback() {
  for (const KeyId& id : pending_) active_.erase(id);
  pending_.clear();
  active_last_pos_ = committed_last_pos_;
}

uint64_t RecentKeys::freeze() {
  SPW_ASSERT(!frozen_last_pos_ && pending_.empty());
  frozen_.swap(active_);
  active_.clear();
  frozen_last_pos_ = active_last_pos_;
  return active_last_pos_;
}

std::vector<KeyEntry> RecentKeys::frozen_entries() const {
  std::vector<KeyEntry> out;
  out.reserve(frozen_.size());
  for (const auto& [id, slot] : frozen_) out.push_back(KeyEntry{id, slot.seq, slot.seen_ms});
  return out;
}

void RecentKeys::drop_frozen() {
  frozen_.clear();
  Table().swap(frozen_);  // give the buckets back: memory stays bounded by one table's peak
  frozen_last_pos_.reset();
}

}  // namespace spillway::queue::dedupe
