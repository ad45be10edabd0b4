#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "common/ids.h"
#include "common/logger.h"
#include "common/status.h"

namespace spillway::ingest {

// Logs quota refusals as state changes instead of per request: one line when an account
// starts being refused for its byte quota (or the global quota starts refusing everyone),
// one when its appends are accepted again, with the number refused in between.
// Thread-safe; the accepted() fast path is one relaxed atomic load while nothing is refused.
class QuotaRefusalLog {
 public:
  explicit QuotaRefusalLog(Logger& log) : log_(log) {}
  QuotaRefusalLog(const QuotaRefusalLog&) = delete;
  QuotaRefusalLog& operator=(const QuotaRefusalLog&) = delete;

  // An append of `account` failed with `status`; only quota refusals are tracked.
  void refused(AccountId account, const Status& status);
  // An append of `account` committed.
  void accepted(AccountId account);

 private:
  static constexpr uint32_t kGlobal = 0;  // key of the global quota (account ids start at 1)
  void started(uint32_t key, const Status& status);

  Logger& log_;
  std::atomic<size_t> active_{0};
  std::mutex mu_;
  // Guarded by mu_. Key: account id, or kGlobal; value: refusals since it started.
  std::unordered_map<uint32_t, uint64_t> refusing_;
};

}  // namespace spillway::ingest
