#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "common/ids.h"
#include "replay/scheduler.h"

namespace spillway::replay::test {

inline AccountId acct(uint32_t v) { return AccountId{v}; }

// Fills one request of `room` events the way the drainer does, then seals it. Returns the
// grants in order.
inline std::vector<Grant> fill(Scheduler& s, uint64_t room) {
  std::vector<Grant> grants;
  while (room > 0) {
    std::optional<Grant> g = s.next(room);
    if (!g) break;
    room -= g->max_events;
    grants.push_back(*g);
  }
  s.seal();
  return grants;
}

// Events per account in a request, merging repeated turns of one account.
inline std::map<AccountId, uint64_t> per_account(const std::vector<Grant>& grants) {
  std::map<AccountId, uint64_t> out;
  for (const Grant& g : grants) out[g.account] += g.max_events;
  return out;
}

// Delivers the whole request: every account takes all it was granted, completed in the order
// of its first grant, as the drainer does (walking the request's items).
inline void complete_all(Scheduler& s, const std::vector<Grant>& grants) {
  const auto taken = per_account(grants);
  std::map<AccountId, bool> done;
  for (const Grant& g : grants) {
    if (done[g.account]) continue;
    done[g.account] = true;
    s.complete(g.account, taken.at(g.account));
  }
}

// Runs `requests` requests of `room` events one after the other; returns events per account.
inline std::map<AccountId, uint64_t> drain(Scheduler& s, int requests, uint64_t room) {
  std::map<AccountId, uint64_t> total;
  for (int i = 0; i < requests; ++i) {
    auto grants = fill(s, room);
    for (const auto& [account, n] : per_account(grants)) total[account] += n;
    complete_all(s, grants);
  }
  return total;
}

}  // namespace spillway::replay::test
