#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/histogram.h"
#include "common/logger.h"
#include "common/result.h"
#include "queue/dedupe/dedupe_index.h"
#include "queue/reader_watchdog.h"
#include "queue/replay_job/replay_job.h"
#include "queue/retain/retained_log.h"
#include "queue/types.h"
#include "queue/wal_options.h"

namespace spillway::queue {

class AccountTable;
class LmdbEnv;

// What a commit changed, passed to the commit listener (replay uses it to wake accounts).
struct CommitSummary {
  std::vector<AccountId> appended;  // accounts that got new queued events
  std::vector<AccountId> changed;   // accounts whose state changed in any way
  uint64_t ops = 0;
  uint64_t events = 0;
};

// The one thread that opens LMDB write transactions (LMDB requires write txns to stay on one
// OS thread). Every change to the store is a message to it; it applies all pending messages
// (bounded by max_group_ops / max_group_bytes) in one transaction, commits once (one fsync),
// then completes every waiter with the commit's result: group commit.
//
// Thread-safety: all public methods may be called from any thread. Completions run on the
// writer thread after the commit returned and must be quick (post to your executor).
// Durability: a completion with OK means mdb_txn_commit returned 0 for the transaction that
// holds the change. A failed commit is sticky: later writes fail with that status until a
// probe commit succeeds (or the process restarts). MDB_PANIC is sticky for good.
// Lifecycle: construct -> start() -> stop(); stop() refuses new work, finishes what is queued,
// then joins. The destructor asserts stop() ran.
class WalWriter {
 public:
  template <typename T>
  using Done = std::function<void(Result<T>)>;
  using StatusDone = std::function<void(Status)>;
  using CommitListener = std::function<void(const CommitSummary&)>;

  WalWriter(LmdbEnv& env, AccountTable& accounts, const WalOptions& options, const Clock& clock,
            Logger& logger);
  ~WalWriter();
  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;

  // May be set at any time (replaces the previous one). Runs on the writer thread after every
  // successful commit; must be quick.
  void set_commit_listener(CommitListener listener);
  Status start();
  void stop();

  // Appends a request's events atomically (all or none). Errors, all reported through `done`:
  //   kUnavailable (-> 503): pending queue full, store above the map or disk watermark, global
  //     quota reached, or the sticky failure of an earlier commit;
  //   kResourceExhausted (-> 429): this account's byte quota is reached;
  //   kNotFound: unknown account; kShuttingDown: after stop().
  void append(AppendRequest request, Done<AppendResult> done);
  // Records delivery of [first, last] of one account (see SettleRequest). Works while appends
  // are refused for quota, so draining always frees space.
  void settle(SettleRequest request, StatusDone done);
  void create_account(CreateAccountRequest request, Done<AccountId> done);
  // Adds a credential to an existing account (kNotFound, kAlreadyExists).
  void add_credential(AccountId account, Credential credential, StatusDone done);
  void set_paused(AccountId account, bool paused, StatusDone done);
  void set_weight(AccountId account, uint32_t weight, StatusDone done);
  // Writes a `meta` entry (global pause, drain limits, ...).
  void put_meta(std::string key, std::string value, StatusDone done);
  // Moves up to `max` dead letters of the account back into its queue at their original seqs,
  // oldest first; returns how many moved.
  void requeue_dead(AccountId account, uint32_t max, Done<uint64_t> done);
  // Deletes up to `max` dead letters of the account; returns how many were deleted.
  void purge_dead(AccountId account, uint32_t max, Done<uint64_t> done);
  // Starts a replay job over the retained events (kInvalidArgument when to < from). The writer
  // then advances running jobs between groups, one bounded step per commit.
  void create_replay(ReplaySpec spec, Done<ReplayJob> done);
  // Cancels a job (kNotFound for an unknown id; idempotent): nothing more is enqueued, and
  // the job is kCancelling until the writer has removed its undelivered events from the
  // queues (bounded steps between groups, durable), then kCancelled. A job whose events were
  // all delivered stays kDone.
  void cancel_replay(uint64_t id, Done<ReplayJob> done);
  // Every job as of the last commit; any thread.
  std::vector<ReplayJob> replay_jobs() const;

  // OK, or the sticky failure. Cheap; any thread.
  Status health() const;
  // True while appends are refused by a watermark or quota (deletes still work).
  bool ingest_refused() const;
  // The oldest reader's lag as of the last housekeeping round (reader-lag watchdog, FM-12).
  ReaderLag reader_lag() const;

  struct Stats {
    uint64_t commits = 0;
    uint64_t failed_commits = 0;
    uint64_t ops = 0;
    uint64_t events = 0;
    uint64_t queue_full_rejections = 0;
    // The sequential inbox: events acknowledged through it, moves, and events staged now.
    uint64_t staged_events = 0;
    uint64_t inbox_moves = 0;
    uint64_t inbox_rows = 0;
  };
  Stats stats() const;
  // Seconds from the start of a group's write transaction to its successful commit (fsync
  // included), and operations per committed group; for metrics. Any thread.
  HistogramCounts commit_latency() const;
  HistogramCounts group_sizes() const;
  // The idempotency index as of the writer's last maintenance round; any thread.
  dedupe::IndexStats index_stats() const;
  // The retained delivered events as of the writer's last commit or expiry step; any thread.
  retain::RetainedStats retained_stats() const;
  // Seconds each index maintenance transaction held the writer; for metrics. Any thread.
  HistogramCounts index_step_latency() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace spillway::queue
