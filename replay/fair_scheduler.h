#pragma once

#include <cstdint>

#include "replay/scheduler.h"

namespace spillway::replay {

// Max-min fair drain order: deficit round robin over eligible accounts (Shreedhar & Varghese)
// in the FQ-CoDel shape (RFC 8290). An account gets quantum × weight events per turn; an account
// that becomes backlogged after being empty joins the "new" list, served before the "old" list,
// for one turn, so an account with a few events is done within about one round whatever the
// largest backlog is. An account has at most one slice in flight, so its turn is all it can have
// in the pipeline: when few accounts are backlogged, turns grow to their max-min fair share of
// `pipeline_events`, or the drain would run at (accounts × quantum) per round trip. Each
// decision is O(1) in the number of accounts (intrusive lists; the share is computed once per
// request from a depth histogram). Thread affinity and lifecycle: see Scheduler.
class FairScheduler final : public Scheduler {
 public:
  // pipeline_events 0: every turn is one quantum (plain DRR).
  explicit FairScheduler(uint32_t quantum = 1, uint64_t pipeline_events = 0);

  size_t eligible_count() const override { return new_.size + old_.size; }
  // Takes effect at the next request (turns are computed once per request).
  void set_pipeline_events(uint64_t events) override { pipeline_events_ = events; }
  uint32_t quantum() const { return quantum_; }
  // Events per turn at weight 1 for the request being filled: at least the quantum.
  uint64_t turn_events() const { return unit_; }
  // Accounts on the new list (served first). For tests and metrics.
  size_t new_count() const { return new_.size; }

 private:
  struct List {
    Account* head = nullptr;
    Account* tail = nullptr;
    size_t size = 0;
  };

  void on_enter(Account& a, bool fresh) override;
  void on_leave(Account& a) override;
  void on_weight_change(Account& a, uint32_t old_weight) override;
  Pick pick(uint64_t room) override;

  int64_t turn(const Account& a) const;
  void refresh_unit();
  void rotate(Account& a, uint64_t room);
  void push_back(List& list, Account& a);
  void push_front(List& list, Account& a);
  void unlink(Account& a);
  List& list_of(const Account& a);

  uint32_t quantum_;
  uint64_t pipeline_events_;
  uint64_t unit_;              // events per turn at weight 1, max(quantum, fair share)
  uint64_t unit_request_ = 0;  // request_seq() unit_ was computed for
  List new_;
  List old_;
  uint64_t listed_weight_ = 0;  // sum of the weights of listed accounts
};

}  // namespace spillway::replay
