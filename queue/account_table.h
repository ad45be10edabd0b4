#pragma once

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "queue/account_record.h"

namespace spillway::queue {

// In-memory mirror of the `accounts` table, O(accounts). Loaded at boot (the only table read
// besides `meta`), then written only by the WalWriter thread after each successful commit;
// read by any thread (ingest auth, replay, dashboards) under a shared lock. Never ahead of
// what has committed.
class AccountTable {
 public:
  AccountTable() = default;
  AccountTable(const AccountTable&) = delete;
  AccountTable& operator=(const AccountTable&) = delete;

  std::optional<AccountRecord> get(AccountId id) const;
  std::optional<AccountRecord> find(std::string_view name) const;
  std::vector<AccountRecord> all() const;
  size_t size() const;

  struct Totals {
    uint64_t accounts = 0;
    uint64_t accounts_with_backlog = 0;
    uint64_t depth = 0;
    uint64_t bytes = 0;
    uint64_t dead = 0;
    int64_t oldest_ms = 0;  // 0 when no backlog
  };
  // O(accounts): for dashboards, not for hot paths.
  Totals totals() const;
  // Queued payload bytes across all accounts, O(1) (the global quota check).
  uint64_t total_bytes() const;

  // Writer thread (and Wal::open) only: publish records that a commit changed.
  void publish(const std::vector<AccountRecord>& changed);

 private:
  mutable std::shared_mutex mu_;
  // Guarded by mu_.
  std::unordered_map<AccountId, AccountRecord> by_id_;
  std::unordered_map<std::string, AccountId> by_name_;
  uint64_t total_bytes_ = 0;
};

}  // namespace spillway::queue
