#include "queue/store_check.h"

#include <algorithm>
#include <map>

#include "queue/dedupe/index_check.h"
#include "queue/lmdb_env.h"
#include "queue/lmdb_txn.h"
#include "queue/record_codec.h"
#include "queue/retain/retained_check.h"

namespace spillway::queue {
namespace {

struct Seen {
  uint64_t depth = 0, bytes = 0, head = 0, dead = 0, dead_bytes = 0, max_seq = 0;
  int64_t oldest_ms = 0;
};

class Checker {
 public:
  Checker(LmdbEnv& env, const ReadTxn& txn, uint32_t max_problems)
      : env_(env), txn_(txn), max_problems_(max_problems) {}

  Status run(StoreReport& report) {
    report_ = &report;
    for (auto step : {&Checker::load_accounts, &Checker::scan_events, &Checker::scan_dead,
                      &Checker::scan_names, &Checker::scan_keys, &Checker::scan_dedupe,
                      &Checker::scan_retained, &Checker::scan_inbox}) {
      if (Status s = (this->*step)(); !s.is_ok()) return s;
    }
    compare_counters();
    return Status::ok();
  }

 private:
  void problem(std::string what) {
    if (report_->problems.size() < max_problems_) report_->problems.push_back(std::move(what));
  }

  template <typename Visit>
  Status walk(MDB_dbi dbi, Visit visit) {
    auto cur = Cursor::open(txn_.get(), dbi);
    if (!cur) return cur.status();
    for (auto more = cur->first();; more = cur->next()) {
      if (!more) return more.status();
      if (!*more) return Status::ok();
      visit(cur->key(), cur->value());
    }
  }

  Status load_accounts() {
    return walk(env_.tables().accounts, [&](std::string_view k, std::string_view v) {
      auto rec = codec::parse_account(k, v);
      if (!rec) return problem(rec.status().message());
      report_->accounts += 1;
      accounts_.emplace(rec->id.value, std::move(*rec));
    });
  }

  Status scan_events() {
    return walk(env_.tables().events, [&](std::string_view k, std::string_view v) {
      auto key = codec::parse_event_key(k);
      if (!key) return problem("event key of wrong size");
      std::string where = "account " + std::to_string(key->account.value) + " seq " +
                          std::to_string(key->seq.value);
      auto value = codec::parse_event_value(v);
      // A damaged event is still queued: report it once, and count it like the writer does.
      if (!value) problem(where + ": " + value.status().message());
      uint64_t size = value                                ? value->payload.size()
                      : v.size() > codec::kEventHeaderSize ? v.size() - codec::kEventHeaderSize
                                                           : 0;
      Seen& s = seen_[key->account.value];
      if (s.depth == 0) {
        s.head = key->seq.value;
        s.oldest_ms = value ? value->enqueue_ms : -1;  // unknown: not compared
      }
      s.depth += 1;
      s.bytes += size;
      s.max_seq = std::max(s.max_seq, key->seq.value);
      report_->events += 1;
      report_->event_bytes += size;
    });
  }

  // Rows a crash left between a staging commit and its move (queue/inbox.h): the open moves
  // them, so they must be movable: intact, of a known account, at or above its next seq and
  // ascending per account.
  Status scan_inbox() {
    std::map<uint32_t, uint64_t> last;
    return walk(env_.tables().inbox, [&](std::string_view k, std::string_view v) {
      report_->staged_events += 1;
      auto id = codec::parse_inbox_key(k);
      auto row = codec::parse_inbox_value(v);
      if (!id || !row) return problem("inbox row with a malformed key or value");
      std::string where = "inbox row " + std::to_string(*id) + " (account " +
                          std::to_string(row->key.account.value) + " seq " +
                          std::to_string(row->key.seq.value) + ")";
      if (auto ev = codec::parse_event_value(row->event_value); !ev) {
        problem(where + ": " + ev.status().message());
      }
      auto it = accounts_.find(row->key.account.value);
      if (it == accounts_.end()) return problem(where + ": unknown account");
      uint64_t& prev = last[row->key.account.value];
      if (row->key.seq.value < std::max(it->second.next_seq, prev + 1)) {
        problem(where + ": below its account's next seq or an earlier staged row");
      }
      prev = row->key.seq.value;
    });
  }

  Status scan_dead() {
    return walk(env_.tables().dead, [&](std::string_view k, std::string_view v) {
      auto dead = codec::parse_dead(k, v);
      if (!dead) return problem("dead letter: " + dead.status().message());
      Seen& s = seen_[dead->account.value];
      s.dead += 1;
      s.dead_bytes += dead->payload.size();
      s.max_seq = std::max(s.max_seq, dead->seq.value);
      report_->dead_letters += 1;
    });
  }

  Status scan_names() {
    return walk(env_.tables().account_names, [&](std::string_view k, std::string_view v) {
      auto id = codec::parse_u32(v);
      auto it = id ? accounts_.find(*id) : accounts_.end();
      if (it == accounts_.end() || it->second.name != k) {
        problem("account name " + std::string(k) + " points at no matching account");
      }
    });
  }

  Status scan_keys() {
    return walk(env_.tables().keys, [&](std::string_view, std::string_view v) {
      auto id = codec::parse_credential_account(v);
      if (!id || !accounts_.contains(id->value)) problem("credential for an unknown account");
      report_->credentials += 1;
    });
  }

  Status scan_dedupe() {
    dedupe::IndexCheckCounts counts;
    Status s = dedupe::check_index(
        txn_.get(), env_.tables(), [&](uint32_t id) { return accounts_.contains(id); },
        [&](std::string what) { problem(std::move(what)); }, counts);
    report_->dedupe_entries = counts.log_rows + counts.run_keys;
    report_->dedupe_runs = counts.runs;
    report_->dedupe_garbage_rows = counts.garbage_rows;
    return s;
  }

  Status scan_retained() {
    retain::RetainedCheckCounts counts;
    Status s = retain::check_retained(
        txn_.get(), env_.tables(), [&](uint32_t id) { return accounts_.contains(id); },
        [&](std::string what) { problem(std::move(what)); }, counts);
    report_->retained_events = counts.events;
    report_->retained_bytes = counts.bytes;
    return s;
  }

  void compare_counters() {
    for (const auto& [id, s] : seen_) {
      if (!accounts_.contains(id)) problem("events of unknown account " + std::to_string(id));
    }
    for (const auto& [id, rec] : accounts_) compare_one(rec, seen_[id]);
  }

  void compare_one(const AccountRecord& r, const Seen& s) {
    std::string who = "account " + r.name + ": ";
    auto check = [&](const char* what, uint64_t stored, uint64_t scanned) {
      if (stored != scanned) {
        problem(who + what + " counter " + std::to_string(stored) + " != scan " +
                std::to_string(scanned));
      }
    };
    check("depth", r.depth, s.depth);
    check("bytes", r.bytes, s.bytes);
    check("head seq", r.head_seq, s.head);
    if (s.oldest_ms >= 0) {
      check("oldest time", static_cast<uint64_t>(r.oldest_ms), static_cast<uint64_t>(s.oldest_ms));
    }
    check("dead letter", r.dead_count, s.dead);
    check("dead letter bytes", r.dead_bytes, s.dead_bytes);
    if (s.max_seq >= r.next_seq) problem(who + "a stored seq is not below next seq");
  }

  LmdbEnv& env_;
  const ReadTxn& txn_;
  uint32_t max_problems_;
  StoreReport* report_ = nullptr;
  std::map<uint32_t, AccountRecord> accounts_;
  std::map<uint32_t, Seen> seen_;
};

}  // namespace

Result<StoreReport> check_store(LmdbEnv& env, uint32_t max_problems) {
  auto txn = ReadTxn::begin(env.get());
  if (!txn) return txn.status();
  StoreReport report;
  Checker checker(env, *txn, max_problems);
  if (Status s = checker.run(report); !s.is_ok()) return s;
  return report;
}

}  // namespace spillway::queue
