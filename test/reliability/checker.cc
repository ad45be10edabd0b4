#include "test/reliability/checker.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "common/clock.h"
#include "queue/store_check.h"
#include "queue/wal.h"
#include "test/support/capture_logger.h"

namespace spillway::test {
namespace {

std::string id_of(const std::string& payload) {
  auto j = nlohmann::json::parse(payload, nullptr, false);
  if (j.is_object() && j.contains("messageId") && j["messageId"].is_string())
    return j["messageId"].get<std::string>();
  return "";
}

void read_account(const queue::Wal& wal, const queue::AccountRecord& a, StoreSnapshot& out) {
  Seq from{0};
  for (;;) {
    auto batch = wal.reader().read(a.id, from, 1000, uint64_t{64} << 20);
    if (!batch) {
      out.problems.push_back("read " + a.name + ": " + batch.status().to_string());
      return;
    }
    if (batch->empty()) break;
    for (const auto& e : *batch)
      out.events.push_back({a.name, e.seq.value, false, id_of(e.payload)});
    from = Seq{batch->back().seq.value + 1};
  }
  auto dead = wal.reader().read_dead(a.id, 10'000'000);
  if (!dead) {
    out.problems.push_back("read dead " + a.name + ": " + dead.status().to_string());
    return;
  }
  for (const auto& d : *dead) out.events.push_back({a.name, d.seq.value, true, id_of(d.payload)});
}

// Shortens a list of ids for a failure message.
std::string first_of(const std::vector<std::string>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size() && i < 5; ++i) s += (i ? ", " : "") + ids[i];
  if (ids.size() > 5) s += ", ... (" + std::to_string(ids.size()) + ")";
  return s;
}

using Key = std::pair<std::string, uint64_t>;  // (account, seq)

struct Index {
  std::unordered_map<std::string, const Attempt*> attempt;
  std::unordered_map<std::string, size_t> first_delivery;  // id -> index in deliveries
  std::unordered_map<std::string, std::set<Key>> seqs_of;  // id -> every (account, seq) seen
  std::unordered_set<std::string> delivered, stored;
  std::map<Key, std::vector<std::pair<double, std::string>>> delivered_at;  // (time, batch id)
  std::set<Key> ambiguous;
};

Index build_index(const CheckInput& in) {
  Index ix;
  for (const auto& a : in.attempts) ix.attempt[a.id] = &a;
  for (size_t i = 0; i < in.deliveries.size(); ++i) {
    const auto& d = in.deliveries[i];
    std::string id = id_of(d.event);
    ix.first_delivery.try_emplace(id, i);
    ix.delivered.insert(id);
    ix.seqs_of[id].insert({d.account, d.seq});
    ix.delivered_at[{d.account, d.seq}].push_back({d.delivered_at, d.batch_id});
  }
  for (const auto& d : in.ambiguous) ix.ambiguous.insert({d.account, d.seq});
  for (const auto& e : in.store.events) {
    ix.stored.insert(e.id);
    ix.seqs_of[e.id].insert({e.account, e.seq});
  }
  return ix;
}

Verdict check_lost(const CheckInput& in, const Index& ix) {
  std::vector<std::string> lost;
  for (const auto& a : in.attempts)
    if (a.outcome == Outcome::kOk && !ix.delivered.count(a.id) && !ix.stored.count(a.id))
      lost.push_back(a.id);
  return {"I1 no lost acknowledged events", lost.empty(),
          lost.empty() ? "" : "lost: " + first_of(lost)};
}

Verdict check_phantoms(const Index& ix) {
  std::vector<std::string> phantom;
  for (const auto& id : ix.delivered)
    if (!ix.attempt.count(id)) phantom.push_back(id);
  for (const auto& id : ix.stored)
    if (!ix.attempt.count(id)) phantom.push_back(id);
  return {"I2 no phantom events", phantom.empty(),
          phantom.empty() ? "" : "unexpected: " + first_of(phantom)};
}

// Per account: first deliveries in ascending seq; no queued (not dead, never delivered) event
// below a delivered seq. Per producer: acked events got ascending seqs in send order.
Verdict check_order(const CheckInput& in, const Index& ix) {
  std::vector<std::string> bad;
  std::map<std::string, uint64_t> last_first, max_delivered;
  std::set<Key> seen;
  for (const auto& d : in.deliveries) {
    if (!seen.insert({d.account, d.seq}).second) continue;
    uint64_t& last = last_first[d.account];
    if (d.seq < last)
      bad.push_back(d.account + "#" + std::to_string(d.seq) + " after #" + std::to_string(last));
    last = std::max(last, d.seq);
    max_delivered[d.account] = last;
  }
  for (const auto& e : in.store.events) {
    if (e.dead || ix.delivered.count(e.id)) continue;
    auto it = max_delivered.find(e.account);
    if (it != max_delivered.end() && e.seq < it->second)
      bad.push_back(e.account + "#" + std::to_string(e.seq) + " queued behind delivered #" +
                    std::to_string(it->second));
  }
  std::map<std::pair<std::string, int>, std::pair<uint64_t, std::string>> last_seq;
  for (const auto& a : in.attempts) {  // recorded in send order per producer
    auto s = ix.seqs_of.find(a.id);
    if (a.outcome != Outcome::kOk || s == ix.seqs_of.end()) continue;
    uint64_t seq = s->second.begin()->second;
    auto& prev = last_seq[{a.account, a.producer}];
    if (seq <= prev.first && !prev.second.empty())
      bad.push_back(a.id + " (seq " + std::to_string(seq) + ") not after " + prev.second);
    prev = {seq, a.id};
  }
  return {"I3 per-account order", bad.empty(), bad.empty() ? "" : first_of(bad)};
}

// A request the killed process sent may be recorded by the downstream a little after the
// restart (it sat in the socket buffer): `slack` covers that.
bool restart_between(const std::vector<double>& restarts, double a, double b, double slack) {
  return std::any_of(restarts.begin(), restarts.end(),
                     [&](double r) { return a < r + slack && r < b; });
}

Verdict check_duplicates(const CheckInput& in, const Index& ix, uint64_t& dups) {
  std::vector<std::string> bad;
  for (const auto& [key, times] : ix.delivered_at) {
    for (size_t i = 1; i < times.size(); ++i) {
      ++dups;
      // A re-send of the same batch id is a retry of an attempt whose answer spillway never
      // got (timeout, reset): the downstream may have committed it (I4 ii).
      bool retried = std::any_of(times.begin(), times.begin() + static_cast<long>(i),
                                 [&](const auto& t) { return t.second == times[i].second; });
      bool allowed =
          retried || ix.ambiguous.count(key) || in.allow_redelivery_without_crash ||
          restart_between(in.restarts, times[0].first, times[i].first, in.in_flight_slack_s);
      if (!allowed)
        bad.push_back(key.first + "#" + std::to_string(key.second) + " at " +
                      std::to_string(times[0].first) + " (" + times[0].second + ") and " +
                      std::to_string(times[i].first) + " (" + times[i].second + ")");
    }
  }
  for (const auto& [id, keys] : ix.seqs_of) {
    auto a = ix.attempt.find(id);
    bool retried = a != ix.attempt.end() && a->second->outcome == Outcome::kIndeterminate;
    if (keys.size() > 1 && !retried)
      bad.push_back(id + " stored at " + std::to_string(keys.size()) + " seqs");
  }
  return {"I4 duplicates only where allowed", bad.empty(),
          "duplicate deliveries " + std::to_string(dups) +
              (bad.empty() ? "" : "; not allowed: " + first_of(bad))};
}

Verdict check_counters(const CheckInput& in) {
  const StoreSnapshot& s = in.store;
  if (!s.opened) return {"I5 counters are the truth", false, "store did not open: " + s.open_error};
  std::vector<std::string> bad = s.problems;
  std::map<std::string, uint64_t> scanned;
  for (const auto& e : s.events)
    if (!e.dead) ++scanned[e.account];
  for (const auto& [account, depth] : s.depth)
    if (scanned[account] != depth)
      bad.push_back(account + " depth " + std::to_string(depth) + " != scan " +
                    std::to_string(scanned[account]));
  return {"I5 counters are the truth", bad.empty(), bad.empty() ? "" : first_of(bad)};
}

Verdict check_fail_closed(const CheckInput& in, const Index& ix) {
  std::vector<std::string> bad;
  for (const auto& a : in.attempts)
    if (a.outcome == Outcome::kFailed && (ix.delivered.count(a.id) || ix.stored.count(a.id)))
      bad.push_back(a.id + " (status " + std::to_string(a.status) + ")");
  return {"I6 fail closed", bad.empty(), bad.empty() ? "" : "refused yet kept: " + first_of(bad)};
}

}  // namespace

StoreSnapshot snapshot_store(const std::string& data_dir) {
  StoreSnapshot out;
  SystemClock clock;
  CaptureLogger log;
  queue::WalOptions options;
  options.dir = data_dir;
  options.min_free_disk_bytes = 0;
  auto wal = queue::Wal::open(options, clock, log);
  if (!wal) {
    out.open_error = wal.status().to_string();
    return out;
  }
  out.opened = true;
  auto report = queue::check_store((*wal)->env());
  if (!report)
    out.problems.push_back("check_store: " + report.status().to_string());
  else
    out.problems = report->problems;
  for (const auto& a : (*wal)->accounts().all()) {
    out.depth[a.name] = a.depth;
    out.paused[a.name] = a.paused;
    read_account(**wal, a, out);
  }
  (*wal)->close();
  return out;
}

bool CheckReport::ok() const {
  return std::all_of(verdicts.begin(), verdicts.end(), [](const Verdict& v) { return v.passed; });
}

std::string CheckReport::text() const {
  std::ostringstream out;
  size_t passed = 0;
  for (const auto& v : verdicts) {
    passed += v.passed ? 1 : 0;
    out << v.name << ": " << (v.passed ? "ok" : "FAILED") << (v.detail.empty() ? "" : " (")
        << v.detail << (v.detail.empty() ? "" : ")") << "\n";
  }
  out << "ledger: acked " << acked << ", failed " << failed << ", indeterminate " << indeterminate
      << " (recovered " << recovered << "); delivered " << delivered_unique << " unique, "
      << duplicates << " duplicate; stored " << stored << "\n";
  out << passed << " passed, " << verdicts.size() - passed << " failed\n";
  return out.str();
}

CheckReport check_invariants(const CheckInput& in) {
  Index ix = build_index(in);
  CheckReport r;
  for (const auto& a : in.attempts) {
    if (a.outcome == Outcome::kOk) ++r.acked;
    if (a.outcome == Outcome::kFailed) ++r.failed;
    if (a.outcome != Outcome::kIndeterminate) continue;
    ++r.indeterminate;
    if (ix.delivered.count(a.id) || ix.stored.count(a.id)) ++r.recovered;
  }
  r.delivered_unique = ix.delivered.size();
  r.stored = in.store.events.size();
  r.verdicts.push_back(check_lost(in, ix));
  r.verdicts.push_back(check_phantoms(ix));
  r.verdicts.push_back(check_order(in, ix));
  r.verdicts.push_back(check_duplicates(in, ix, r.duplicates));
  r.verdicts.push_back(check_counters(in));
  r.verdicts.push_back(check_fail_closed(in, ix));
  return r;
}

bool fully_drained(const CheckInput& in) {
  std::unordered_set<std::string> delivered;
  for (const auto& d : in.deliveries) delivered.insert(id_of(d.event));
  for (const auto& a : in.attempts)
    if (a.outcome == Outcome::kOk && !delivered.count(a.id)) return false;
  return true;
}

}  // namespace spillway::test
