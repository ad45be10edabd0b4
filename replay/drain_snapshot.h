#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/histogram.h"
#include "common/ids.h"
#include "replay/retry_reason.h"

namespace spillway::replay {

// One account as the backlog API shows it. Copyable value type.
struct AccountView {
  AccountId account;
  std::string name;
  uint64_t depth = 0;
  uint64_t bytes = 0;
  int64_t oldest_ms = 0;  // enqueue time of the oldest queued event; 0 when empty
  uint64_t dead = 0;
  uint32_t weight = 1;
  bool paused = false;
  bool in_flight = false;
  std::string last_error;
  double drain_rate = 0;        // events/s delivered recently
  std::optional<double> eta_s;  // seconds to real-time under the drain policy; none if unknown
};

// The drain engine at one moment: state, limits, rates and the accounts with backlog.
struct DrainSnapshot {
  std::string state;  // "running" | "paused" | "circuit_open" | "backing_off" | "stopped"
  std::string policy;
  uint32_t concurrency_limit = 0;
  uint32_t max_concurrency = 0;
  uint32_t in_flight_requests = 0;
  double max_events_per_sec = 0;  // 0 = no cap
  // Request size (RequestSize): events of the next request, its bounds and target (0 = fixed
  // size), and the learned cost model a + b·n (0 until the first acknowledged request).
  uint32_t request_events = 0;
  uint32_t min_request_events = 0;
  uint32_t max_request_events = 0;
  uint32_t target_request_ms = 0;
  double cost_fixed_ms = 0;
  double cost_per_event_us = 0;
  double ingest_rate = 0;  // events/s over the last minute
  double drain_rate = 0;   // events/s over the last minute
  uint64_t delivered_total = 0;
  uint64_t retries_total = 0;
  uint64_t dead_lettered_total = 0;
  uint64_t batches_total = 0;
  std::string circuit;  // "closed" | "open" | "half_open"
  // Retries per RetryReason (index = enum value); they sum to retries_total.
  std::array<uint64_t, kRetryReasons> retries_by_reason{};
  // Seconds per downstream request, every outcome.
  HistogramCounts delivery_latency;
  std::vector<AccountView> accounts;  // every account with backlog (unsorted)
};

}  // namespace spillway::replay
