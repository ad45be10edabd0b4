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
// loses nothing: the open derives the staged part from the rows. The inbox keeps only that
// staged part per account (never a copy of a record), so an operation that commits beside
// staged rows (a settle, a pause) changes the durable record and the writer's view follows.
// Writer thread only.
class Inbox {
 public:
  explicit Inbox(const Tables& tables) : tables_(tables) {}
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  // The durable record of an account, or nullopt if there is none.
  using DurableRecord = std::function<std::optional<AccountRecord>(AccountId)>;

  // Reads the rows a crash left (bounded by the move thresholds) into the staged view; they
  // stay staged until move(). kCorruption for a damaged row, an unknown account, or a seq
  // below its record's next one.
  Status open(MDB_env* env, const DurableRecord& durable);
  bool empty() const { return rows_ == 0; }
  uint64_t rows() const { return rows_; }
  uint64_t payload_bytes() const { return bytes_; }
  // Wall time the oldest staged row was staged (0 when empty).
  int64_t oldest_ms() const { return oldest_ms_; }

  // The writer's view of an account: its durable record plus the events it has staged.
  AccountRecord view(AccountRecord durable) const;

  // Acknowledging path, in the group's transaction: one row for an event of `account`.
  Status stage(WriteTxn& txn, AccountId account, Seq seq, std::string_view event_value,
               uint64_t payload_bytes, int64_t enqueue_ms, int64_t now_ms);
  // The group's commit returned OK / failed.
  void committed();
  void aborted();

  // In its own transaction: the first `max_rows` staged rows (all of them by default) into
  // `events`, the records of their accounts (the durable one plus the rows) written, the rows
  // deleted. A prefix keeps every account's staged rows at the seqs after its record's.
  // Returns the records; kCorruption as for open().
  struct Moved {
    std::vector<AccountRecord> records;
    uint64_t rows = 0;
  };
  Result<Moved> move(WriteTxn& txn, const DurableRecord& durable, uint64_t max_rows = UINT64_MAX);
  // The move's commit returned OK and its records are published. After a partial move the
  // rest is read again (rare: only a full map splits a move).
  Status moved(const Moved& m, MDB_env* env, const DurableRecord& durable);

 private:
  // What an account's staged rows add to its durable record.
  struct Staged {
    uint64_t first_seq = 0;
    uint64_t last_seq = 0;
    uint64_t count = 0;
    uint64_t bytes = 0;
    int64_t first_enqueue_ms = 0;
    void add(Seq seq, uint64_t payload_bytes, int64_t enqueue_ms);
    // `rec` (the durable record) as store_event() would have left it after these rows.
    AccountRecord apply_to(AccountRecord rec) const;
    bool operator==(const Staged&) const = default;
  };
  struct Row {
    AccountId account;
    Seq seq;
    uint64_t bytes = 0;
    int64_t enqueue_ms = 0;
  };
  // Rows in id order, up to `limit`, checked against the accounts' durable records.
  using RowFn = std::function<Status(const Row&, std::string_view event_value)>;
  Status scan(MDB_txn* txn, const DurableRecord& durable, uint64_t limit, const RowFn& each) const;
  Status delete_first(WriteTxn& txn, uint64_t rows);

  const Tables& tables_;
  uint64_t next_id_ = 1;
  uint64_t rows_ = 0;
  uint64_t bytes_ = 0;
  int64_t oldest_ms_ = 0;
  std::unordered_map<AccountId, Staged> staged_;
  // Staged in the transaction under way, not yet committed.
  std::vector<Row> txn_rows_;
  int64_t txn_oldest_ms_ = 0;
};

}  // namespace spillway::queue
