#pragma once

#include <lmdb.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/result.h"

namespace spillway::queue {
class LmdbEnv;
}

namespace spillway::queue::retain {

// A retained event copied out of LMDB.
struct RetainedEvent {
  uint64_t id = 0;  // position in delivery order
  int64_t delivered_ms = 0;
  int64_t received_ms = 0;
  AccountId account;
  Seq seq;
  std::string payload;
  bool operator==(const RetainedEvent&) const = default;
};

// Reads the retained table in short read transactions (copied out before they end). Any thread;
// stateless besides the borrowed environment, which must outlive it.
// The same inside any transaction (the writer's, when a job starts): the first id delivered at
// or after `delivered_ms`, and the id after the last row (0 when empty).
Result<uint64_t> first_delivered_at(MDB_txn* txn, MDB_dbi retained, int64_t delivered_ms);
Result<uint64_t> end_of_retained(MDB_txn* txn, MDB_dbi retained);

class RetainedReader {
 public:
  explicit RetainedReader(const LmdbEnv& env) : env_(env) {}

  // Up to `max` rows with id >= `from_id`, in id order. Damaged rows are skipped (verify
  // reports them). Errors: read failures only.
  Result<std::vector<RetainedEvent>> read(uint64_t from_id, uint32_t max) const;
  // The first id whose delivery time is >= `delivered_ms` (keys are in delivery-time order, so
  // this is a seek by bisection over ids, O(log n) lookups); the next id when there is none.
  Result<uint64_t> first_delivered_at(int64_t delivered_ms) const;

 private:
  const LmdbEnv& env_;
};

}  // namespace spillway::queue::retain
