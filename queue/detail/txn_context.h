#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "queue/account_record.h"
#include "queue/lmdb_env.h"
#include "queue/lmdb_txn.h"
#include "queue/wal_options.h"
#include "queue/wal_writer.h"

namespace spillway::queue {
class AccountTable;
class Inbox;
namespace dedupe {
class DedupeIndex;
}
namespace retain {
class RetainedLog;
}
namespace replay_job {
class ReplayJobs;
}
}  // namespace spillway::queue

namespace spillway::queue::detail {

// State of one group-commit transaction, on the writer thread. Account records are copied
// from the AccountTable on first touch and changed here; flush() writes the changed ones into
// the transaction, and the writer publishes them to the table only after the commit returned
// OK, so the in-memory table never runs ahead of the disk.
class TxnContext {
 public:
  TxnContext(WriteTxn& txn, const Tables& tables, const AccountTable& table,
             const WalOptions& options);
  TxnContext(const TxnContext&) = delete;
  TxnContext& operator=(const TxnContext&) = delete;

  WriteTxn& txn() { return txn_; }
  const Tables& tables() const { return tables_; }
  const WalOptions& options() const { return options_; }

  int64_t now_ms = 0;
  // Set by the writer when appends must be refused (watermark, disk); reason for the status.
  bool ingest_refused = false;
  std::string refusal_reason;
  // Bytes of IngestGate::append_cost() the appends of this group may still spend, and the
  // free disk estimate behind it (for the refusal message).
  uint64_t append_budget = UINT64_MAX;
  uint64_t free_disk = UINT64_MAX;
  // The idempotency index, owned by the writer (null: deduplication off).
  dedupe::DedupeIndex* dedupe = nullptr;
  // Keeps delivered events for replay, owned by the writer (null: retention off and empty).
  retain::RetainedLog* retained = nullptr;
  // Set when this group stages its appends (queue/inbox.h): events go to the inbox, account
  // records are read through its view and not written. Null otherwise: records are then the
  // durable ones (staged events stay out of them), and only groups that take no seqs run
  // while the inbox holds rows (it is moved before any other).
  Inbox* inbox = nullptr;
  // The replay jobs, owned by the writer (never null in a writer transaction).
  replay_job::ReplayJobs* replay_jobs = nullptr;
  // Next account id to assign; the writer keeps it across transactions.
  uint32_t next_account_id = 1;
  bool next_account_id_changed = false;

  // The account, or nullptr when unknown. The record may be changed; it is written at flush().
  AccountRecord* account(AccountId id);
  AccountRecord& add_account(AccountRecord record);
  // The account's queued events (0 when unknown), without marking its record changed.
  uint64_t queued(AccountId id) const;
  // Queued bytes across all accounts, including this transaction's changes.
  uint64_t total_bytes() const;

  // Counter upkeep for one event entering or leaving an account's queue.
  void on_queued(AccountRecord& rec, uint64_t payload_bytes);
  void on_removed(AccountRecord& rec, uint64_t payload_bytes);
  // Re-reads the account's first queued event into head_seq / oldest_ms.
  Status refresh_head(AccountRecord& rec);

  // Records the first storage error; after it the transaction must be aborted.
  Status fail(Status s);
  bool failed() const { return !fatal_.is_ok(); }
  const Status& fatal() const { return fatal_; }

  // Writes every changed account record and the account id counter.
  Status flush();
  std::vector<AccountRecord> changed_records() const;
  CommitSummary& summary() { return summary_; }

 private:
  WriteTxn& txn_;
  const Tables& tables_;
  const AccountTable& table_;
  const WalOptions& options_;
  std::unordered_map<AccountId, AccountRecord> dirty_;
  int64_t bytes_delta_ = 0;
  Status fatal_;
  CommitSummary summary_;
};

}  // namespace spillway::queue::detail
