#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ids.h"

namespace spillway::replay {

// One event inside a delivery batch. `payload` is the stored JSON event, embedded verbatim.
struct DeliveryItem {
  AccountId account;
  std::string account_name;
  Seq seq;
  int64_t received_ms = 0;  // the original receive time, also for a replayed event
  std::string payload;
  // Set for an event a replay job re-enqueued: the job and the event's seq when it was first
  // delivered (`seq` is its new one). 0: a live event.
  uint64_t replay_id = 0;
  Seq original_seq;
};

// A downstream request: slices of one or more accounts. Re-sent with the same batch_id and the
// same content after a retryable failure, so the downstream can deduplicate.
struct DeliveryBatch {
  std::string batch_id;
  std::vector<DeliveryItem> items;
  // The node that held these events (--node-id), written into each event object; empty: left
  // out.
  std::string node;
};

struct DeliveryResult {
  enum class Kind {
    kAccepted,   // 2xx: the whole batch is delivered
    kRetryable,  // 408, 429, 5xx, timeout, connection error: re-send later, never drop
    kRejected,   // other 4xx: some event is refused for good; the drainer splits the batch
  };
  Kind kind = Kind::kRetryable;
  int http_status = 0;  // 0 when no HTTP response arrived
  // Server-requested wait (Retry-After), when given.
  std::optional<std::chrono::milliseconds> retry_after;
  // Short, bounded description for logs and dead letters (status line + first bytes of body, or
  // the transport error). Never contains credentials.
  std::string detail;
  std::chrono::milliseconds latency{0};
};

// Where replay delivers events (webhook, NDJSON file, null). Implementations complete each
// deliver() exactly once, on any thread; the drainer re-posts to its own strand. The batch is
// shared so it outlives the call. Lifecycle: construct -> deliver()* -> stop(); after stop()
// every pending delivery completes (as kRetryable) and new ones complete at once.
class Downstream {
 public:
  using Done = std::function<void(DeliveryResult)>;
  virtual ~Downstream() = default;
  virtual void deliver(std::shared_ptr<const DeliveryBatch> batch, Done done) = 0;
  virtual void stop() = 0;
};

}  // namespace spillway::replay
