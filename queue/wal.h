#pragma once

#include <memory>

#include "common/clock.h"
#include "common/logger.h"
#include "common/result.h"
#include "queue/account_table.h"
#include "queue/backlog_reader.h"
#include "queue/wal_options.h"
#include "queue/wal_writer.h"

namespace spillway::queue {

class LmdbEnv;

// The durable queue: owns the LMDB environment (one per process, behind an exclusive flock),
// the in-memory account table, the writer thread and a reader. open() checks the format
// version, reads only `meta` and `accounts` (O(accounts), independent of queued events) and
// starts the writer. Lifecycle: open() -> ... -> close() (or destructor).
class Wal {
 public:
  // Errors: kUnavailable when another process holds the directory ("... is locked by another
  // spillway process"), kCorruption for an unknown format version or damaged tables,
  // kIoError for filesystem errors.
  static Result<std::unique_ptr<Wal>> open(const WalOptions& options, const Clock& clock,
                                           Logger& logger);
  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  WalWriter& writer() { return *writer_; }
  const BacklogReader& reader() const { return *reader_; }
  const AccountTable& accounts() const { return *accounts_; }
  LmdbEnv& env() { return *env_; }
  // Stops the writer (finishing queued work) and closes the environment. Idempotent.
  void close();

 private:
  Wal() = default;
  std::unique_ptr<LmdbEnv> env_;
  std::unique_ptr<AccountTable> accounts_;
  std::unique_ptr<WalWriter> writer_;
  std::unique_ptr<BacklogReader> reader_;
};

}  // namespace spillway::queue
