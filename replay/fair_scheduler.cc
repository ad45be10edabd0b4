#include "replay/fair_scheduler.h"

#include <algorithm>

#include "common/assert.h"

namespace spillway::replay {
namespace {
constexpr uint8_t kNewList = 1;
constexpr uint8_t kOldList = 2;
}  // namespace

// Invariants:
// - an account is on exactly one of new_/old_ iff it is listed (eligible), and a.list says which;
// - every listed account has a.deficit >= 0; only the head of a list can have deficit 0, right
//   after it spent its turn, and pick() rotates it before granting anyone else;
// - listed_weight_ is the sum of the weights of listed accounts.
// Accounts in flight are out of the lists but still backlogged: they count in the size of a
// round (in_flight_weight()), and while any is in flight no account takes a second turn in the
// same request, or the accounts that happen to be eligible would get more than those busy.

FairScheduler::FairScheduler(uint32_t quantum, uint64_t pipeline_events)
    : quantum_(std::max(1U, quantum)), pipeline_events_(pipeline_events), unit_(quantum_) {}

int64_t FairScheduler::turn(const Account& a) const {
  return static_cast<int64_t>(unit_) * a.weight;
}

// Once per request: the turn is the quantum, or the fair share of the pipeline when that is
// larger (few accounts backlogged). Accounts with less than the share (live traffic of accounts
// already caught up) count with what they have, so the share of the deep ones is max-min fair.
void FairScheduler::refresh_unit() {
  if (unit_request_ == request_seq()) return;
  unit_request_ = request_seq();
  const double share = fair_level(pipeline_events_);
  const double cap = static_cast<double>(std::max<uint64_t>(quantum_, pipeline_events_));
  unit_ = static_cast<uint64_t>(std::clamp(share, static_cast<double>(quantum_), cap));
}

void FairScheduler::on_enter(Account& a, bool fresh) {
  // A fresh account starts a new turn. A returning one (its slice completed) keeps what is left
  // of its turn, but never more than one turn: a deficit is not a savings account.
  const bool resume = a.resume && !fresh && a.deficit > 0;
  a.resume = false;
  if (fresh || a.deficit <= 0 || a.deficit > turn(a)) a.deficit = turn(a);
  if (resume) {
    // Its turn was cut short by the end of a request: it continues where it stopped, as the
    // head of the round, instead of losing the rest of its turn.
    push_front(old_, a);
  } else {
    push_back(fresh ? new_ : old_, a);
  }
  a.list = fresh && !resume ? kNewList : kOldList;
  listed_weight_ += a.weight;
}

void FairScheduler::on_leave(Account& a) {
  a.resume = list_of(a).head == &a && a.deficit > 0;
  unlink(a);
  listed_weight_ -= a.weight;
}

void FairScheduler::on_weight_change(Account& a, uint32_t old_weight) {
  listed_weight_ = listed_weight_ - old_weight + a.weight;
}

Scheduler::Pick FairScheduler::pick(uint64_t room) {
  refresh_unit();
  // Terminates within a few iterations: a rotated account has a positive deficit, and at most
  // the head of each list can have a zero deficit.
  for (;;) {
    List* list = new_.head != nullptr ? &new_ : (old_.head != nullptr ? &old_ : nullptr);
    if (list == nullptr) return {};
    Account& a = *list->head;
    // Everyone listed has had a turn in this request; the accounts in flight wait for theirs.
    if (a.turn_request == request_seq() && in_flight_weight() > 0) return {};
    // Turns shrink as accounts join: a deficit from an earlier request (set when the share was
    // larger, e.g. while the first accounts queued up during an outage) is at most one turn now.
    if (a.turn_request != request_seq() && a.deficit > turn(a)) a.deficit = turn(a);
    if (a.deficit <= 0) {
      rotate(a, room);
      continue;
    }
    const uint64_t n = std::min({room, available(a), static_cast<uint64_t>(a.deficit)});
    a.deficit -= static_cast<int64_t>(n);
    return {&a, n};
  }
}

// Ends the account's turn: a fresh turn at the tail of the old list. When the eligible accounts
// cannot fill the request in one round (few accounts left, e.g. the last large backlog), grant
// several rounds at once, exactly as many DRR rounds would, so requests stay large in O(1).
void FairScheduler::rotate(Account& a, uint64_t room) {
  SPW_ASSERT(listed_weight_ > 0);
  const uint64_t round = unit_ * (listed_weight_ + in_flight_weight());
  const uint64_t rounds = std::max<uint64_t>(1, room / round);
  a.deficit += turn(a) * static_cast<int64_t>(rounds);
  a.turn_request = request_seq();
  unlink(a);
  push_back(old_, a);
  a.list = kOldList;
}

FairScheduler::List& FairScheduler::list_of(const Account& a) {
  SPW_ASSERT(a.list == kNewList || a.list == kOldList);
  return a.list == kNewList ? new_ : old_;
}

void FairScheduler::push_back(List& list, Account& a) {
  a.prev = list.tail;
  a.next = nullptr;
  if (list.tail != nullptr) {
    list.tail->next = &a;
  } else {
    list.head = &a;
  }
  list.tail = &a;
  ++list.size;
}

void FairScheduler::push_front(List& list, Account& a) {
  a.prev = nullptr;
  a.next = list.head;
  if (list.head != nullptr) {
    list.head->prev = &a;
  } else {
    list.tail = &a;
  }
  list.head = &a;
  ++list.size;
}

void FairScheduler::unlink(Account& a) {
  List& list = list_of(a);
  if (a.prev != nullptr) {
    a.prev->next = a.next;
  } else {
    list.head = a.next;
  }
  if (a.next != nullptr) {
    a.next->prev = a.prev;
  } else {
    list.tail = a.prev;
  }
  a.prev = a.next = nullptr;
  a.list = 0;
  --list.size;
}

}  // namespace spillway::replay
