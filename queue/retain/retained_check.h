#pragma once

#include <lmdb.h>

#include <cstdint>
#include <functional>
#include <string>

#include "common/status.h"
#include "queue/lmdb_env.h"

namespace spillway::queue::retain {

struct RetainedCheckCounts {
  uint64_t events = 0;
  uint64_t bytes = 0;
};

// Part of `spillway verify` (queue/store_check.h): every retained row's CRC, keys below the
// totals' next id, delivery times in key order, accounts that exist, and the totals in `meta`
// against the scan. Damage goes to `problem`; only read failures are returned.
Status check_retained(MDB_txn* txn, const Tables& tables,
                      const std::function<bool(uint32_t)>& account_exists,
                      const std::function<void(std::string)>& problem, RetainedCheckCounts& counts);

}  // namespace spillway::queue::retain
