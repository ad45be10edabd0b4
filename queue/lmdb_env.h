#pragma once

#include <lmdb.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"

namespace spillway::queue {

// The named tables of the store (docs/storage.md).
struct Tables {
  MDB_dbi events = 0;
  MDB_dbi accounts = 0;
  MDB_dbi account_names = 0;
  MDB_dbi keys = 0;
  MDB_dbi dead = 0;
  MDB_dbi meta = 0;
  // The idempotency index (format version 2).
  MDB_dbi dedupe_log = 0;
  MDB_dbi dedupe_runs = 0;
  MDB_dbi dedupe_blocks = 0;
  MDB_dbi dedupe_bloom = 0;
  // Delivered events kept for replay (format version 3).
  MDB_dbi retained = 0;
  // Replay jobs, one row each (format version 3).
  MDB_dbi replay_jobs = 0;
  // Events acknowledged under load and not yet moved into `events` (format version 4).
  MDB_dbi inbox = 0;
  // Format version 1's index, present only until the upgrade has moved it (0 when absent).
  MDB_dbi legacy_dedupe = 0;
  MDB_dbi legacy_dedupe_expiry = 0;
};

struct LmdbEnvOptions {
  std::string dir;
  uint64_t map_size = uint64_t{256} << 30;
  unsigned max_readers = 512;
  // Open for inspection (verify, backup source): MDB_RDONLY, no table creation.
  bool read_only = false;
};

// Space use of the map, for the ingest watermark and metrics.
struct MapUsage {
  uint64_t map_size = 0;    // bytes reserved for the map
  uint64_t high_water = 0;  // bytes up to the highest page ever used (file size)
  uint64_t page_size = 0;
};

// The one LMDB environment of this process (LMDB forbids opening an environment twice in a
// process). open() first takes an exclusive flock on DIR/spillway.lock so a second spillway
// process on the same directory fails at once, then opens with default (synchronous) flags,
// MDB_NOTLS and explicit max readers, clears stale reader slots, and opens every table in one
// write transaction before any other thread exists (LMDB rule: no concurrent mdb_dbi_open).
// Thread-safety: the handle and table ids may be used from any thread once open() returned.
class LmdbEnv {
 public:
  // Errors: kUnavailable when the directory is locked by another process, kIoError for
  // filesystem errors, kCorruption for a file LMDB cannot open, kInvalidArgument when a
  // forbidden durability flag is found set.
  static Result<std::unique_ptr<LmdbEnv>> open(const LmdbEnvOptions& options);
  ~LmdbEnv();
  LmdbEnv(const LmdbEnv&) = delete;
  LmdbEnv& operator=(const LmdbEnv&) = delete;

  MDB_env* get() const { return env_; }
  const Tables& tables() const { return tables_; }
  const std::string& dir() const { return dir_; }
  bool read_only() const { return read_only_; }

  // OK when none of MDB_NOSYNC, MDB_NOMETASYNC, MDB_MAPASYNC, MDB_WRITEMAP, MDB_NOLOCK is set.
  Status check_durable_flags() const;
  // Clears reader slots left by dead processes; returns how many were cleared.
  int clear_stale_readers();
  MapUsage map_usage() const;
  // Free pages in LMDB's freelist (a short read transaction walking the free table).
  Result<uint64_t> free_pages() const;
  // Bytes available to unprivileged writers on the data directory's filesystem.
  Result<uint64_t> free_disk_bytes() const;
  // Compacting hot copy (mdb_env_copy2 with MDB_CP_COMPACT) into `out_dir`, which is created
  // when missing and must not hold a data.mdb; the copy is fsynced before returning. Runs one
  // read transaction for the whole copy (writers go on; freed pages are not reused until it
  // ends), so call it off the io threads. Errors: kInvalidArgument when out_dir already holds
  // a store, kIoError for filesystem errors and LMDB copy failures.
  Status copy_compacted(const std::string& out_dir) const;

 private:
  LmdbEnv() = default;
  Status open_tables();
  MDB_env* env_ = nullptr;
  int lock_fd_ = -1;
  bool read_only_ = false;
  std::string dir_;
  Tables tables_;
};

}  // namespace spillway::queue
