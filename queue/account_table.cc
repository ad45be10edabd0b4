#include "queue/account_table.h"

#include <mutex>

namespace spillway::queue {

std::optional<AccountRecord> AccountTable::get(AccountId id) const {
  std::shared_lock lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

std::optional<AccountRecord> AccountTable::find(std::string_view name) const {
  std::shared_lock lock(mu_);
  auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) return std::nullopt;
  return by_id_.at(it->second);
}

std::vector<AccountRecord> AccountTable::all() const {
  std::shared_lock lock(mu_);
  std::vector<AccountRecord> out;
  out.reserve(by_id_.size());
  for (const auto& [id, rec] : by_id_) out.push_back(rec);
  return out;
}

size_t AccountTable::size() const {
  std::shared_lock lock(mu_);
  return by_id_.size();
}

AccountTable::Totals AccountTable::totals() const {
  std::shared_lock lock(mu_);
  Totals t;
  t.accounts = by_id_.size();
  for (const auto& [id, rec] : by_id_) {
    t.depth += rec.depth;
    t.bytes += rec.bytes;
    t.dead += rec.dead_count;
    if (rec.depth > 0) {
      ++t.accounts_with_backlog;
      if (t.oldest_ms == 0 || rec.oldest_ms < t.oldest_ms) t.oldest_ms = rec.oldest_ms;
    }
  }
  return t;
}

uint64_t AccountTable::total_bytes() const {
  std::shared_lock lock(mu_);
  return total_bytes_;
}

void AccountTable::publish(const std::vector<AccountRecord>& changed) {
  std::unique_lock lock(mu_);
  for (const AccountRecord& rec : changed) {
    auto [it, inserted] = by_id_.try_emplace(rec.id, rec);
    if (!inserted) {
      total_bytes_ -= it->second.bytes;
      it->second = rec;
    } else {
      by_name_.emplace(rec.name, rec.id);
    }
    total_bytes_ += rec.bytes;
  }
}

}  // namespace spillway::queue
