#include "replay/null_downstream.h"

#include <utility>

namespace spillway::replay {

void NullDownstream::deliver(std::shared_ptr<const DeliveryBatch> batch, Done done) {
  DeliveryResult r;
  if (stopped_.load(std::memory_order_acquire)) {
    r.kind = DeliveryResult::Kind::kRetryable;
    r.detail = "null sink stopped";
  } else {
    r.kind = DeliveryResult::Kind::kAccepted;
    accepted_events_.fetch_add(batch->items.size(), std::memory_order_relaxed);
  }
  done(std::move(r));
}

void NullDownstream::stop() { stopped_.store(true, std::memory_order_release); }

}  // namespace spillway::replay
