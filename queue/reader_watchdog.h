#pragma once

#include <chrono>
#include <cstdint>

struct MDB_env;

namespace spillway::queue {

// The oldest active read transaction of the environment (any process) and how far it lags.
// Copyable value type.
struct ReaderLag {
  int pid = 0;            // 0: no active reader
  uint64_t txnid = 0;     // snapshot the reader holds
  uint64_t lag_txns = 0;  // last committed txn id - txnid
  // How long the same reader has held that snapshot, as seen by consecutive checks.
  std::chrono::milliseconds held{0};
  // Seen holding the same snapshot on two checks while commits went on: it blocks page reuse
  // (LMDB rule L9), so the file grows until it ends.
  bool stuck = false;
};

// Reader-lag watchdog (RELIABILITY_PLAN FM-12, rule L9): compares the oldest reader's txnid
// (mdb_reader_list) with the last committed txn id (mdb_env_info). Owned and called by the
// writer thread's housekeeping only; not thread-safe.
class ReaderWatchdog {
 public:
  // Errors are swallowed: a failed mdb_reader_list reports no reader.
  ReaderLag check(MDB_env* env, std::chrono::steady_clock::time_point now);

 private:
  int pid_ = 0;
  uint64_t thread_ = 0;
  uint64_t txnid_ = 0;
  std::chrono::steady_clock::time_point since_{};
};

}  // namespace spillway::queue
