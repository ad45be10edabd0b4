#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "common/ids.h"

namespace spillway::replay {

// Delivery and ingest rates for the backlog API and the ETA model: a 60-second ring of
// per-second totals, and a decaying per-account delivery rate. The drainer's strand only.
class DrainStats {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  DrainStats() = default;
  DrainStats(const DrainStats&) = delete;
  DrainStats& operator=(const DrainStats&) = delete;

  void delivered(AccountId account, uint64_t events, TimePoint now);
  void failed(AccountId account, std::string error);
  // Called once per second with the writer's cumulative event count.
  void tick(uint64_t ingested_total, TimePoint now);

  // Events per second over the last minute (or since start when younger).
  double drain_rate() const;
  double ingest_rate() const;
  double account_rate(AccountId account, TimePoint now) const;
  const std::string* last_error(AccountId account) const;
  uint64_t delivered_total() const { return delivered_total_; }

 private:
  struct PerAccount {
    double rate = 0;  // events/s, decaying with a 10 s time constant
    TimePoint last{};
    std::string last_error;
  };
  struct Second {
    uint64_t delivered = 0;
    uint64_t ingested = 0;
  };
  double window_rate(uint64_t Second::*field) const;

  std::array<Second, 60> ring_{};
  size_t head_ = 0;
  size_t filled_ = 0;
  uint64_t delivered_total_ = 0;
  uint64_t delivered_this_second_ = 0;
  uint64_t last_ingested_total_ = 0;
  bool have_ingested_ = false;
  std::unordered_map<AccountId, PerAccount> accounts_;
};

}  // namespace spillway::replay
