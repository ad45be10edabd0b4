#pragma once

#include <lmdb.h>

#include <cstdint>
#include <string_view>

#include "common/ids.h"
#include "common/logger.h"
#include "common/result.h"
#include "common/status.h"
#include "queue/lmdb_env.h"
#include "queue/retain/retained_codec.h"

namespace spillway::queue {
class WriteTxn;
}

namespace spillway::queue::retain {

struct RetainOptions {
  // How long a delivered event is kept after its delivery, in ms. 0: retention off (what is
  // still retained from an earlier run expires at once).
  int64_t keep_ms = 0;
  // Payload bytes kept at most; past it the oldest go first. 0: bounded by time and disk only.
  uint64_t max_bytes = 0;
  // Rows and bytes one expiry transaction deletes at most: the longest it holds the writer.
  uint64_t step_rows = 4096;
  uint64_t step_bytes = uint64_t{4} << 20;
};

// What the retained table holds, and what left it why (counters since the process started).
struct RetainedStats {
  uint64_t events = 0;
  uint64_t bytes = 0;
  int64_t oldest_delivered_ms = 0;  // 0 when empty
  int64_t oldest_received_ms = 0;
  uint64_t expired = 0;         // older than keep_ms
  uint64_t dropped_budget = 0;  // oldest dropped for max_bytes
  uint64_t dropped_disk = 0;    // oldest dropped because ingest needed the disk
  uint64_t not_kept = 0;        // delivered while shedding: never retained
  bool shedding = false;
};

// The delivered events kept for replay (table `retained`, docs/storage.md "Retained events"):
// appended in delivery order with MDB_APPEND by the settle that deletes them from the queue
// (one sequential page per commit, no random leaf), expired from the oldest end in bounded
// transactions of their own. Totals live in `meta`, so open() reads two rows whatever the size.
// Ingest always wins: while the disk is short (set_shedding), settles keep nothing and the
// oldest rows go first. Owned by the WalWriter; writer thread only.
class RetainedLog {
 public:
  RetainedLog(const Tables& tables, RetainOptions options, Logger& log);
  RetainedLog(const RetainedLog&) = delete;
  RetainedLog& operator=(const RetainedLog&) = delete;

  // Reads the totals and the oldest row. kCorruption for damaged totals.
  Status open(MDB_env* env);
  bool enabled() const { return options_.keep_ms > 0; }

  // Inside the group's transaction: keeps one event the settle is deleting. A storage error
  // dooms the transaction.
  Status keep(WriteTxn& txn, AccountId account, Seq seq, int64_t received_ms,
              std::string_view payload, int64_t now_ms);
  // Writes the totals when this group changed them (at the group's flush).
  Status flush(WriteTxn& txn);
  // The group's commit returned OK, or the group was rolled back.
  void committed();
  void aborted();

  // Called before each group from the ingest gate's verdict; logs the transitions and returns
  // whether the state changed.
  bool set_shedding(bool shedding);
  bool has_work(int64_t now_ms) const;
  // One expiry transaction of its own (at most step_rows / step_bytes).
  Status run_step(MDB_env* env, int64_t now_ms);
  RetainedStats stats() const;

 private:
  enum class Drop { kNone, kExpired, kBudget, kDisk };
  struct Dropped {
    uint64_t expired = 0, budget = 0, disk = 0;
    uint64_t rows() const { return expired + budget + disk; }
  };
  Drop drop_reason(int64_t delivered_ms, int64_t now_ms) const;
  Status read_oldest(MDB_txn* txn);
  Result<Dropped> delete_oldest(WriteTxn& txn, int64_t now_ms);
  void count_drops(const Dropped& d);

  const Tables& tables_;
  RetainOptions options_;
  Logger& log_;
  codec::RetainedTotals committed_;
  codec::RetainedTotals pending_;
  int64_t oldest_delivered_ms_ = 0, oldest_received_ms_ = 0;
  int64_t pending_oldest_delivered_ms_ = 0, pending_oldest_received_ms_ = 0;
  bool dirty_ = false;
  bool shedding_ = false;
  bool budget_logged_ = false;
  RetainedStats counters_;
};

}  // namespace spillway::queue::retain
