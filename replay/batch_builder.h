#pragma once

#include <cstdint>
#include <memory>

#include "replay/flight.h"

namespace spillway {
class Logger;
}
namespace spillway::queue {
class AccountTable;
class BacklogReader;
}  // namespace spillway::queue

namespace spillway::replay {

class Scheduler;

// Fills one downstream request from the scheduler's grants: reads each granted slice from the
// store (short read transactions, bytes copied out), stops at the event and byte bounds, and
// seals the request. A damaged event at an account's head becomes a dead letter of the flight
// instead of a delivery, so one bad record never blocks its account. The drainer's strand only.
class BatchBuilder {
 public:
  BatchBuilder(const queue::BacklogReader& reader, const queue::AccountTable& accounts,
               Logger& logger)
      : reader_(reader), accounts_(accounts), log_(logger) {}

  // Returns a flight with its whole request as the first pending batch, or nullptr when the
  // scheduler granted nothing. Accounts whose grant read no event are completed at once.
  // Grants are asked for until the request holds max_events events or max_bytes bytes; an
  // account whose turn did not fit continues it in its next request.
  std::unique_ptr<Flight> build(Scheduler& scheduler, uint64_t max_events, uint64_t max_bytes);

 private:
  struct Budget {
    uint64_t events;
    uint64_t bytes;
  };
  // Reads one grant into the flight; returns the number of events taken.
  uint64_t take(Flight& flight, DeliveryBatch& batch, AccountId account, uint64_t max_events,
                Budget& budget);
  Slice& slice_of(Flight& flight, AccountId account);

  const queue::BacklogReader& reader_;
  const queue::AccountTable& accounts_;
  Logger& log_;
};

}  // namespace spillway::replay
