#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "queue/types.h"
#include "replay/backoff.h"
#include "replay/concurrency_limit.h"
#include "replay/downstream.h"

namespace spillway::replay {

// The events of one account inside a flight: read in seq order, each either delivered or, when
// the downstream refused it for good (or it is damaged), dead-lettered.
struct Slice {
  AccountId account;
  std::vector<Seq> seqs;            // every event taken, in order
  std::vector<queue::DeadIn> dead;  // the subset refused for good
};

// One downstream request and its follow-ups until every event in it is settled: a rejected
// batch is split in halves, delivered in order, until the refused events are isolated.
// Owned by the Drainer; lives on its strand.
struct Flight {
  uint64_t id = 0;
  std::vector<Slice> slices;  // in grant order: completes run in this order
  // Batches still to deliver, front first. Starts with the whole request.
  std::deque<std::shared_ptr<const DeliveryBatch>> pending;
  Backoff backoff;
  uint32_t attempts = 0;
  bool sending = false;
  ConcurrencyLimit::Ticket ticket{};
  std::chrono::steady_clock::time_point sent_at{};
  std::unique_ptr<boost::asio::steady_timer> retry_timer;
};

// A batch id derived from its content (account and seq of every item), so a request re-sent
// after a retry, and the same request rebuilt after a restart, carry the same id.
std::string batch_id_of(const DeliveryBatch& batch);

// Splits a batch in two halves in item order, with ids of their own.
std::pair<std::shared_ptr<DeliveryBatch>, std::shared_ptr<DeliveryBatch>> split_batch(
    const DeliveryBatch& batch);

}  // namespace spillway::replay
