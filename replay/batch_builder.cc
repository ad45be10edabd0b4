#include "replay/batch_builder.h"

#include <algorithm>

#include "common/logger.h"
#include "queue/account_table.h"
#include "queue/backlog_reader.h"
#include "replay/scheduler.h"

namespace spillway::replay {

Slice& BatchBuilder::slice_of(Flight& flight, AccountId account) {
  for (Slice& s : flight.slices) {
    if (s.account == account) return s;
  }
  flight.slices.push_back(Slice{account, {}, {}});
  return flight.slices.back();
}

uint64_t BatchBuilder::take(Flight& flight, DeliveryBatch& batch, AccountId account,
                            uint64_t max_events, Budget& budget) {
  Slice& slice = slice_of(flight, account);
  // A second grant of the same account in one request continues after its first slice.
  Seq from{slice.seqs.empty() ? 0 : slice.seqs.back().value + 1};
  auto events = reader_.read(account, from, static_cast<uint32_t>(max_events), budget.bytes);
  if (!events && events.status().code() == Status::Code::kCorruption) {
    auto bad = reader_.first_seq(account);
    if (!bad || !*bad || (!slice.seqs.empty() && **bad <= slice.seqs.back())) return 0;
    log_.error("replay", "quarantined a damaged event",
               {{"account", uint64_t{account.value}},
                {"seq", (**bad).value},
                {"error", events.status().message()}});
    slice.seqs.push_back(**bad);
    slice.dead.push_back({**bad, "damaged record: " + events.status().message(), 0});
    return 1;
  }
  if (!events) {
    log_.warn("replay", "read failed", {{"error", events.status().message()}});
    return 0;
  }
  std::string name = accounts_.get(account).value_or(queue::AccountRecord{}).name;
  for (queue::StoredEvent& e : *events) {
    budget.bytes -= std::min(budget.bytes, static_cast<uint64_t>(e.payload.size()));
    slice.seqs.push_back(e.seq);
    const bool replayed = e.replay.job != 0;
    batch.items.push_back(DeliveryItem{account, name, e.seq,
                                       replayed ? e.replay.received_ms : e.enqueue_ms,
                                       std::move(e.payload), e.replay.job, e.replay.seq});
  }
  return events->size();
}

std::unique_ptr<Flight> BatchBuilder::build(Scheduler& scheduler, uint64_t max_events,
                                            uint64_t max_bytes) {
  auto flight = std::make_unique<Flight>();
  auto batch = std::make_shared<DeliveryBatch>();
  Budget budget{max_events, max_bytes};
  while (budget.events > 0 && budget.bytes > 0) {
    std::optional<Grant> grant = scheduler.next(budget.events);
    if (!grant) break;
    uint64_t got = take(*flight, *batch, grant->account, grant->max_events, budget);
    budget.events -= std::min(budget.events, got);
    // Fewer events than the scheduler believed: it learns the truth from the store when the
    // drainer resynchronises after completion; until then, nothing more from this account.
    if (got == 0) scheduler.set_backlog(grant->account, 0);
  }
  scheduler.seal();
  // Grants that found nothing leave the request now; they must not wait for its outcome.
  std::erase_if(flight->slices, [&](const Slice& s) {
    if (!s.seqs.empty()) return false;
    scheduler.complete(s.account, 0);
    return true;
  });
  if (flight->slices.empty()) return nullptr;
  batch->batch_id = batch_id_of(*batch);
  if (!batch->items.empty()) flight->pending.push_back(std::move(batch));
  return flight;
}

}  // namespace spillway::replay
