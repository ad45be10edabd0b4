#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace spillway::queue {

class FaultInjector;

// Options of the write-ahead log. Validated once by app/config.cc.
// Durability is not a knob: every commit is synchronous (fsync) and a 2xx is only ever sent
// for an event whose commit returned OK, so a crash loses nothing that was acknowledged.
struct WalOptions {
  // Data directory; created if missing. Holds data.mdb, lock.mdb and spillway.lock.
  std::string dir = "./spillway-data";
  // LMDB map size in bytes (sparse: costs address space, not disk). Hard upper bound of the
  // store; ingest is refused at map_watermark of it. Default 256 GiB.
  uint64_t map_size = uint64_t{256} << 30;
  // Reader slots (mdb_env_set_maxreaders). Default 512.
  unsigned max_readers = 512;
  // Fraction of the map above which appends are refused (deletes keep working). Default 0.85.
  double map_watermark = 0.85;
  // Free space to keep on the data filesystem; appends are refused below it so deletes after
  // delivery always have room. A full disk shows up in LMDB as EIO, so this is checked with
  // statvfs. Default 256 MiB.
  uint64_t min_free_disk_bytes = uint64_t{256} << 20;
  // Queued payload bytes across all accounts above which appends get 503. 0: no limit.
  uint64_t max_total_bytes = 0;
  // Queued payload bytes per account above which that account's appends get 429. 0: no limit.
  uint64_t max_account_bytes = 0;
  // Idempotency window. A repeated key inside it is acknowledged without a second copy.
  // Zero turns deduplication off: keys are neither looked up nor stored. The index's cost per
  // key does not grow with what it holds (docs/storage.md, "Idempotency index"); its disk use
  // is ~45 bytes per key of the window, kept up to an eighth of the window longer.
  std::chrono::milliseconds dedupe_window = std::chrono::hours(24);
  // The recent keys are sealed into an immutable sorted run at this many keys or this age.
  // Memory: the index keeps at most about two tables of this many keys (~70 bytes each, so
  // ~18 MiB at the default); larger runs mean fewer merges.
  uint64_t dedupe_seal_keys = 131072;
  std::chrono::milliseconds dedupe_seal_interval = std::chrono::minutes(10);
  // Bytes one index maintenance transaction (seal, merge, delete) writes at most: the longest
  // the writer stops taking commits for it. Default 1 MiB (~2-4 ms).
  uint64_t dedupe_step_bytes = uint64_t{1} << 20;
  // Retention of delivered events for replay (docs/operations.md, "The datastore lost data:
  // replay"). Each delivered event is kept this long after its delivery, then expires; zero
  // keeps nothing (the default). Costs one sequential row per delivered event at settle.
  std::chrono::milliseconds retain_delivered{0};
  // Payload bytes retained at most; past it the oldest go first. 0: bounded by time and by
  // the disk reserve only (retention never takes the disk from ingest: when less than another
  // min_free_disk_bytes is left above the reserve, nothing new is kept and the oldest go first).
  uint64_t retain_max_bytes = 0;
  // A replay job enqueues into an account only while its queue holds fewer events than this:
  // live events of a replaying account then wait behind at most this many replayed ones, and
  // the replay moves at the account's drain speed (docs/operations.md). Default 1000.
  uint64_t replay_account_window = 1000;
  // Group commit bounds: a transaction takes pending operations until either is reached
  // (at least one). Larger groups amortise the fsync; smaller ones bound latency.
  unsigned max_group_ops = 512;
  // The sequential inbox (docs/storage.md, "Inbox"): a group of at least this many plain
  // appends stages its events instead of writing them into the accounts' trees (0: never).
  unsigned inbox_min_group = 2;
  // ... of appends of at most this many events each. A larger one already writes its
  // account's leaf for many events at once, and staging would write them twice (measured:
  // batches of 100 at 0.88x with every plain append staged).
  uint64_t inbox_max_request_events = 8;
  // Staged events are moved into `events` when this many are staged, when the oldest is this
  // old, when the writer is idle, or before an operation that takes seqs (queue/inbox.h).
  uint64_t inbox_move_rows = 4096;
  std::chrono::milliseconds inbox_move_age{50};
  // Off only in tests that need events to stay staged until another kind of group arrives.
  bool inbox_move_when_idle = true;
  uint64_t max_group_bytes = uint64_t{16} << 20;
  // Bound on appends waiting for the writer; past it appends fail at once with Unavailable.
  // Control operations (settle, pause, accounts) have their own, separate bound so a flood of
  // ingest can never block draining.
  unsigned max_pending_appends = 4096;
  uint64_t max_pending_bytes = uint64_t{256} << 20;
  unsigned max_pending_control = 4096;
  // After a failed commit, a probe commit is tried this often; on success appends resume.
  std::chrono::milliseconds recovery_probe_interval = std::chrono::seconds(5);
  // How often stale reader slots (of dead processes) are cleared and free disk re-read.
  std::chrono::milliseconds housekeeping_interval = std::chrono::seconds(10);
  // Open a store of an older format version by upgrading it in place (`spillway upgrade`, run
  // with the server stopped, after a backup). Without it such a store is refused with a message
  // that names the command, so a server never rewrites a store the operator did not back up.
  bool upgrade_format = false;
  // Test hook: lets a test fail commits without touching the disk. Not owned; may be null.
  FaultInjector* faults = nullptr;
};

// Injected by tests to simulate storage failures (leveldb FaultInjectionTestEnv style).
class FaultInjector {
 public:
  virtual ~FaultInjector() = default;
  // Called by the writer thread just before mdb_txn_commit. A non-zero errno-style value makes
  // the writer abort the transaction and treat the commit as failed with that code.
  virtual int before_commit() = 0;
  // Free bytes to report instead of statvfs; a negative value means "ask the filesystem".
  virtual int64_t free_disk_bytes() { return -1; }
};

}  // namespace spillway::queue
