#pragma once

#include <cstdint>

#include "common/ids.h"

namespace spillway::replay {

// One slice of a downstream request: up to `max_events` of `account`'s oldest queued events.
struct Grant {
  AccountId account;
  uint64_t max_events = 0;
  bool operator==(const Grant&) const = default;
};

enum class DrainPolicy {
  kFair,     // deficit round robin with new-account priority: max-min fair (the default)
  kCatchup,  // smallest remaining backlog first, with aging so nothing starves
  kFifo,     // accounts in the order they became backlogged, each drained to empty (baseline)
};

struct SchedulerOptions {
  DrainPolicy policy = DrainPolicy::kFair;
  // Events an account may take per DRR turn at weight 1, at least. Default 1: accounts then
  // finish in order of size, as under processor sharing (round k ends where the ideal finishes
  // the accounts of k events). With 4, on 1,000 accounts of a handful of events each (Zipf 1.3,
  // 24,000 events at 1,000 events/s) a round lasted 4 s and they finished in round order:
  // catch-up p50 1.3-1.4x the ideal. Requests stay large because one request holds many
  // slices, and turns grow to the fair share of pipeline_events when that is larger; higher
  // makes fewer, larger slices (fewer reads and settles per event) at the cost of that order.
  uint32_t quantum = 1;
  // Fair only: events the scheduler aims to have in flight across accounts. While many accounts
  // are backlogged a turn is one quantum; when so few are left that a round of quanta is less
  // than this (an account has at most one slice in flight, so its share of the pipeline is its
  // turn), turns grow to the max-min fair share of this many events. Default 1500, three
  // requests of the default size (app/config sets 3 × max_batch_events). Lower makes finer
  // turns in the tail of a drain but leaves the downstream idle between round trips.
  uint64_t pipeline_events = 1500;
  // Catchup only: priority credit, in events of backlog, an account earns per event delivered
  // to the others while it waits. Default 0.1: among accounts that were already waiting, one
  // of depth d is served after about d / 0.1 = 10 d events went to others; against accounts
  // that keep arriving fresh the bound is looser (catchup_scheduler.h). Higher bounds the wait
  // of a large account more tightly but behaves more like FIFO; 0 is pure smallest-first.
  double aging_per_event = 0.1;
};

// Point-in-time view of one account, for the backlog API and the ETA model.
struct AccountStatus {
  AccountId account;
  uint64_t depth = 0;     // queued events, including those in a slice in flight
  uint64_t reserved = 0;  // events granted and not yet completed
  uint32_t weight = 1;
  bool paused = false;
  bool in_flight = false;
  bool operator==(const AccountStatus&) const = default;
};

}  // namespace spillway::replay
