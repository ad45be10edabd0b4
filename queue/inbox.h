#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "queue/account_record.h"
#include "queue/lmdb_env.h"
#include "queue/lmdb_txn.h"

namespace spillway::queue {

// The sequential inbox (docs/storage.md, "Inbox"). Under load, a group of plain appends writes
// each event as one row appended to `inbox` (MDB_APPEND: a few sequential pages per commit)
// instead of into its account's tree and record (a scattered leaf and record per account).
// A move later brings every staged row into `events` and writes the records, many events per
// transaction, so each account's leaf is copied once per move instead of once per commit.
//
// The durable record of an account counts what is in `events`; its staged rows have the
// next seqs, ascending with the row id. So a crash between a staging commit and its move
// loses nothing: the move at open derives the records from the rows. Writer thread only.
class Inbox {
 public:
  explicit Inbox(const Tables& tables) : tables_(tables) {}
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  // Reads the next row id and counts the rows a crash left; they stay staged until move().
  Status open(MDB_env* env);
  bool empty() const { return rows_ == 0; }
  uint64_t rows() const { return rows_; }
  uint64_t payload_bytes() const { return bytes_; }
  // Wall time the oldest staged row was staged (0 when empty, or unknown after a crash).
  int64_t oldest_ms() const { return oldest_ms_; }

  // The records as the staged rows left them: the writer's view, ahead of the published
  // table (which moves with a move's commit only). Empty after a crash: the move derives them.
  const std::unordered_map<AccountId, AccountRecord>& records() const { return records_; }

  // Acknowledging path, in the group's transaction: one row for an event of `account`.
  Status stage(WriteTxn& txn, AccountId account, Seq seq, std::string_view event_value,
               uint64_t payload_bytes, int64_t now_ms);
  // The group's commit returned OK / failed. `changed` may hold records the group only looked
  // at; only those of accounts that staged rows are kept (see records_).
  void committed(const std::vector<AccountRecord>& changed);
  void aborted();

  // In its own transaction: every staged row into `events`, the records of their accounts
  // (the durable one from `durable`, plus the rows) written, the rows deleted. Returns the
  // records; kCorruption for a damaged row, an unknown account or a seq below the record's.
  using DurableRecord = std::function<std::optional<AccountRecord>(AccountId)>;
  Result<std::vector<AccountRecord>> move(WriteTxn& txn, const DurableRecord& durable);
  // The move's commit returned OK.
  void moved();

 private:
  const Tables& tables_;
  uint64_t next_id_ = 1;
  uint64_t rows_ = 0;
  uint64_t bytes_ = 0;
  int64_t oldest_ms_ = 0;
  // Exactly the accounts with staged rows: a record kept for any other account would go stale
  // when a direct commit changes it, and a later staging would reuse its seqs.
  std::unordered_map<AccountId, AccountRecord> records_;
  // Staged in the transaction under way, not yet committed.
  uint64_t txn_rows_ = 0;
  uint64_t txn_bytes_ = 0;
  uint64_t txn_first_id_ = 0;
  int64_t txn_oldest_ms_ = 0;
  std::vector<AccountId> txn_accounts_;
};

}  // namespace spillway::queue
