#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/ids.h"
#include "replay/depth_histogram.h"
#include "replay/scheduler_types.h"

namespace spillway::replay {

// Chooses which account's events go into the next downstream request. This base keeps the
// per-account books (depth, reservations, in-flight, pause, weight) and the rule "at most one
// slice in flight per account"; subclasses keep only the order of eligible accounts.
// Usage per request: next(room) until it returns nullopt or the request is full, then seal();
// complete() for each account of the request once its outcome is final, in the order of the
// request's items: a completed account rejoins the rotation at its tail, so completing in grant
// order keeps the round-robin order (a fixed other order would favour some accounts).
// Thread affinity: the drainer's strand; not thread-safe. Lifecycle: constructed by app/ wiring,
// fed by set_backlog() at boot; holds no resources. Not copyable.
class Scheduler {
 public:
  virtual ~Scheduler() = default;
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Resynchronises an account's queued event count (including events in flight), e.g. at boot.
  void set_backlog(AccountId account, uint64_t depth);
  // `count` events were committed to the account's queue.
  void appended(AccountId account, uint64_t count);
  // The next slice of the request being filled; `room` is the number of events still fitting.
  // nullopt when nothing is eligible (all empty, paused or in flight) or room is 0.
  std::optional<Grant> next(uint64_t room);
  // Ends the request being filled: every account granted since the last seal() is in flight
  // and not eligible again until complete().
  void seal();
  // The account's slice finished for good; `taken` events left its queue (delivered or
  // dead-lettered; fewer than granted is fine, 0 releases the grant). Precondition: the account
  // has a grant and taken <= granted.
  void complete(AccountId account, uint64_t taken);
  // Weight >= 1 (0 is treated as 1); takes effect at the account's next turn.
  void set_weight(AccountId account, uint32_t weight);
  // A paused account keeps its slice in flight but gets no new one.
  void set_paused(AccountId account, bool paused);
  void set_all_paused(bool paused);

  bool all_paused() const { return all_paused_; }
  AccountStatus status(AccountId account) const;
  // Every account with events queued, in no particular order. O(accounts).
  std::vector<AccountStatus> backlogged() const;
  uint64_t total_depth() const { return total_depth_; }
  // Events next() could grant now: the sum of what eligible accounts have not reserved. O(1).
  uint64_t eligible_events() const { return eligible_events_; }
  // Accounts that next() could grant now (ignoring the global pause).
  virtual size_t eligible_count() const = 0;
  // Events the policy may aim to have in flight across accounts (the fair policy's turns grow
  // to a share of it when few accounts are left); follows the request size. Default: ignored.
  virtual void set_pipeline_events(uint64_t events) { (void)events; }

 protected:
  // Per-account books. Policy fields are used by the subclass that needs them.
  struct Account {
    AccountId id;
    uint64_t depth = 0;
    uint64_t reserved = 0;
    uint32_t weight = 1;
    bool paused = false;
    bool open = false;       // granted in the request being filled
    bool in_flight = false;  // part of a sealed request, not yet completed
    bool listed = false;     // known to the policy as eligible
    // Events that arrived while the account had a slice open or in flight: if its slice takes
    // everything else, the account had caught up, and these are live events of a new burst.
    uint64_t arrived = 0;
    uint64_t counted = 0;  // its part of eligible_events_
    // Fair policy: deficit counter, intrusive list links, turn bookkeeping.
    int64_t deficit = 0;
    Account* prev = nullptr;
    Account* next = nullptr;
    uint8_t list = 0;
    bool resume = false;        // left mid-turn: continues its turn when it returns
    uint64_t turn_request = 0;  // request_seq() when it last finished a turn
    // Catchup policy: ordering key while listed, and its aging mark.
    double key = 0.0;
    double mark = 0.0;
    // Fifo policy: arrival order.
    uint64_t since = 0;
  };

  Scheduler() = default;

  uint64_t available(const Account& a) const {
    return a.depth > a.reserved ? a.depth - a.reserved : 0;
  }
  // Sum of the weights of accounts in flight (sealed, not completed).
  uint64_t in_flight_weight() const { return in_flight_weight_; }
  // Number of the request being filled; grows at each seal().
  uint64_t request_seq() const { return request_seq_; }
  // The max-min fair share, per unit of weight, of `events` among the backlogged accounts.
  double fair_level(uint64_t events) const { return depths_.level(events); }

  // The account became eligible; `fresh` means it had no events queued before.
  virtual void on_enter(Account& a, bool fresh) = 0;
  // The account stopped being eligible (empty, paused or in flight).
  virtual void on_leave(Account& a) = 0;
  // The depth of a listed account changed.
  virtual void on_depth_change(Account& a) { (void)a; }
  // The account's slice completed with `taken` events (before it may become eligible again).
  virtual void on_complete(Account& a, uint64_t taken) { (void)a, (void)taken; }
  // The weight of a listed account changed from `old_weight`.
  virtual void on_weight_change(Account& a, uint32_t old_weight) { (void)a, (void)old_weight; }
  // Chooses an eligible account and the size of its slice (1..min(room, available)); records
  // any policy charge. nullptr when no account is eligible. Precondition: room > 0.
  struct Pick {
    Account* account = nullptr;
    uint64_t events = 0;
  };
  virtual Pick pick(uint64_t room) = 0;

 private:
  Account& account(AccountId id);
  void refresh(Account& a, bool fresh);
  void change_depth(Account& a, uint64_t depth);

  std::unordered_map<AccountId, Account> accounts_;
  DepthHistogram depths_;        // of backlogged accounts (depth includes events in flight)
  std::vector<AccountId> open_;  // accounts granted since the last seal()
  uint64_t total_depth_ = 0;
  uint64_t eligible_events_ = 0;
  uint64_t in_flight_weight_ = 0;
  uint64_t request_seq_ = 1;
  bool all_paused_ = false;
};

std::optional<DrainPolicy> parse_drain_policy(std::string_view name);
std::string_view to_string(DrainPolicy policy);

// The scheduler for options.policy.
std::unique_ptr<Scheduler> make_scheduler(const SchedulerOptions& options);

}  // namespace spillway::replay
