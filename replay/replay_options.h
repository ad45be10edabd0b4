#pragma once

#include <chrono>
#include <cstdint>

#include "replay/backoff.h"
#include "replay/circuit_breaker.h"
#include "replay/concurrency_limit.h"
#include "replay/request_size.h"
#include "replay/scheduler_types.h"

namespace spillway::replay {

// Options of the drain engine. Validated once by app/config.cc.
struct ReplayOptions {
  SchedulerOptions scheduler;
  // Upper bounds of one downstream request; the size itself follows the downstream
  // (request_size). A request carries slices of many accounts, so a small quantum still makes
  // large requests. Defaults 2,000 events, 4 MiB of payload. Lower them for a downstream with a
  // request limit. With request_size.target 0 every request is filled up to these bounds.
  // 5,000 (2,000 before the size became adaptive): at C = 20,000 events/s a 250 ms request
  // holds 5,000 events; 2,000 left the 5 ms fixed cost of the drill's receiver at 5%.
  uint32_t max_batch_events = 5000;
  uint64_t max_batch_bytes = uint64_t{4} << 20;
  // Request size from a latency target and a learned cost model (request_size.h). Its
  // max_events is max_batch_events (the Drainer sets it).
  RequestSizeOptions request_size;
  ConcurrencyOptions concurrency;
  BreakerOptions breaker;
  // Per-request retry delays for retryable failures (exponential, full jitter, capped).
  BackoffOptions retry{std::chrono::milliseconds{200}, std::chrono::milliseconds{30'000},
                       std::chrono::milliseconds{0}, std::chrono::milliseconds{300'000}};
  // Rate cap in events/s; 0 = none. Changeable at run time (PUT /v1/drain/limits).
  double max_events_per_sec = 0;
  // How long stop() waits for requests in flight before giving up on them (they stay queued
  // and are delivered again after the restart).
  std::chrono::milliseconds stop_timeout{10'000};
  // Seed for the jitter of retries and breaker probes; 0 = random.
  uint64_t seed = 0;
};

}  // namespace spillway::replay
