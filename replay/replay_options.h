#pragma once

#include <chrono>
#include <cstdint>

#include "replay/backoff.h"
#include "replay/circuit_breaker.h"
#include "replay/concurrency_limit.h"
#include "replay/scheduler_types.h"

namespace spillway::replay {

// Options of the drain engine. Validated once by app/config.cc.
struct ReplayOptions {
  SchedulerOptions scheduler;
  // Bounds of one downstream request. A request carries slices of many accounts, so a small
  // quantum still makes large requests. Defaults 2,000 events, 4 MiB of payload: with one slice
  // per account in flight, the last large backlogs drain at about request size / round trip,
  // and the outage drill needed 2,000 to keep >= 90% of the downstream's capacity busy
  // (500 gave 89%). Smaller requests suit a downstream with a small request limit.
  uint32_t max_batch_events = 2000;
  uint64_t max_batch_bytes = uint64_t{4} << 20;
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
