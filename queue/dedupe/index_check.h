#pragma once

#include <lmdb.h>

#include <cstdint>
#include <functional>
#include <string>

#include "common/status.h"
#include "queue/lmdb_env.h"

namespace spillway::queue::dedupe {

struct IndexCheckCounts {
  uint64_t log_rows = 0;  // keys in the key log (unsealed, or sealed and not yet deleted)
  uint64_t runs = 0;
  uint64_t run_keys = 0;
  uint64_t garbage_rows = 0;  // rows of runs no longer (or never) live, awaiting deletion
};

// Checks the idempotency index inside a read transaction: every key-log row parses and names a
// known account; each live run's blocks are in strictly increasing key order with a good CRC,
// are keyed by their last key, add up to the run's count and time range; its Bloom filter has
// every chunk with a good CRC and every key of the run. Damage goes to `problem`, naming the run
// and what is wrong; the return value is only for failures to read. O(index) time, one block
// and one Bloom chunk of memory.
Status check_index(MDB_txn* txn, const Tables& tables,
                   const std::function<bool(uint32_t)>& account_exists,
                   const std::function<void(std::string)>& problem, IndexCheckCounts& counts);

}  // namespace spillway::queue::dedupe
