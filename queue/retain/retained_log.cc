#include "queue/retain/retained_log.h"

#include <algorithm>

#include "queue/lmdb_txn.h"

namespace spillway::queue::retain {

RetainedLog::RetainedLog(const Tables& tables, RetainOptions options, Logger& log)
    : tables_(tables), options_(options), log_(log) {}

Status RetainedLog::open(MDB_env* env) {
  auto txn = ReadTxn::begin(env);
  if (!txn) return txn.status();
  auto found = txn->find(tables_.meta, codec::kMetaRetained);
  if (!found) return found.status();
  if (*found) {
    auto totals = codec::parse_totals(**found);
    if (!totals) return totals.status();
    committed_ = *totals;
  }
  pending_ = committed_;
  if (Status s = read_oldest(txn->get()); !s.is_ok()) return s;
  pending_oldest_delivered_ms_ = oldest_delivered_ms_;
  pending_oldest_received_ms_ = oldest_received_ms_;
  return Status::ok();
}

// The oldest row's times, for expiry decisions and the "oldest retained" metric.
Status RetainedLog::read_oldest(MDB_txn* txn) {
  oldest_delivered_ms_ = oldest_received_ms_ = 0;
  auto cur = Cursor::open(txn, tables_.retained);
  if (!cur) return cur.status();
  auto more = cur->first();
  if (!more) return more.status();
  if (!*more) return Status::ok();
  auto row = codec::parse_retained_value(cur->value());
  if (!row) return Status::ok();  // a damaged row has no age: run_step removes it first
  oldest_delivered_ms_ = row->delivered_ms;
  oldest_received_ms_ = row->received_ms;
  return Status::ok();
}

Status RetainedLog::keep(WriteTxn& txn, AccountId account, Seq seq, int64_t received_ms,
                         std::string_view payload, int64_t now_ms) {
  if (!enabled()) return Status::ok();
  if (shedding_) {
    counters_.not_kept += 1;
    return Status::ok();
  }
  codec::RetainedRow row;
  // Keys are in delivery order; the time never goes back, so a time range is a key range.
  row.delivered_ms = std::max(now_ms, pending_.last_delivered_ms);
  row.received_ms = received_ms;
  row.account = account;
  row.seq = seq;
  row.payload = payload;
  Status s = txn.put(tables_.retained, codec::retained_key(pending_.next_id),
                     codec::retained_value(row), MDB_APPEND);
  if (!s.is_ok()) return s;
  if (pending_.events == 0) {
    pending_oldest_delivered_ms_ = row.delivered_ms;
    pending_oldest_received_ms_ = received_ms;
  }
  pending_.next_id += 1;
  pending_.events += 1;
  pending_.bytes += payload.size();
  pending_.last_delivered_ms = row.delivered_ms;
  dirty_ = true;
  return Status::ok();
}

Status RetainedLog::flush(WriteTxn& txn) {
  if (!dirty_) return Status::ok();
  return txn.put(tables_.meta, codec::kMetaRetained, codec::totals_value(pending_));
}

void RetainedLog::committed() {
  committed_ = pending_;
  oldest_delivered_ms_ = pending_oldest_delivered_ms_;
  oldest_received_ms_ = pending_oldest_received_ms_;
  dirty_ = false;
}

void RetainedLog::aborted() {
  pending_ = committed_;
  pending_oldest_delivered_ms_ = oldest_delivered_ms_;
  pending_oldest_received_ms_ = oldest_received_ms_;
  dirty_ = false;
}

bool RetainedLog::set_shedding(bool shedding) {
  if (shedding == shedding_ || (!enabled() && committed_.events == 0)) return false;
  shedding_ = shedding;
  if (shedding) {
    log_.warn("retain", "disk short: keeping no delivered events, dropping the oldest retained",
              {{"retained_events", committed_.events}, {"retained_bytes", committed_.bytes}});
  } else {
    log_.info("retain", "disk recovered: keeping delivered events again",
              {{"retained_events", committed_.events}});
  }
  return true;
}

RetainedLog::Drop RetainedLog::drop_reason(int64_t delivered_ms, int64_t now_ms) const {
  if (!enabled() || delivered_ms + options_.keep_ms <= now_ms) return Drop::kExpired;
  if (options_.max_bytes > 0 && pending_.bytes > options_.max_bytes) return Drop::kBudget;
  if (shedding_) return Drop::kDisk;
  return Drop::kNone;
}

bool RetainedLog::has_work(int64_t now_ms) const {
  return committed_.events > 0 && drop_reason(oldest_delivered_ms_, now_ms) != Drop::kNone;
}

// Applied after the step committed, so a rolled-back step counts nothing. One log line per
// episode of budget drops (redis-style rate limit: state changes, not events).
void RetainedLog::count_drops(const Dropped& d) {
  counters_.expired += d.expired;
  counters_.dropped_budget += d.budget;
  counters_.dropped_disk += d.disk;
  if (d.budget > 0 && !budget_logged_) {
    log_.warn("retain", "retained bytes over budget, dropping the oldest",
              {{"max_bytes", options_.max_bytes}, {"dropped", d.budget}});
  }
  budget_logged_ = d.budget > 0;
}

// Deletes from the oldest end while a row is due to go. The cursor dies here, before the
// transaction ends (LMDB: a write transaction's cursors must not outlive it).
Result<RetainedLog::Dropped> RetainedLog::delete_oldest(WriteTxn& txn, int64_t now_ms) {
  auto cur = Cursor::open(txn.get(), tables_.retained);
  if (!cur) return cur.status();
  Dropped d;
  uint64_t bytes = 0;
  for (auto more = cur->first(); d.rows() < options_.step_rows && bytes < options_.step_bytes;
       more = cur->next()) {
    if (!more) return more.status();
    if (!*more) break;
    auto row = codec::parse_retained_value(cur->value());
    // A damaged row goes first, counted by its stored size: its fields cannot be trusted.
    std::string_view v = cur->value();
    uint64_t size =
        row ? row->payload.size() : v.size() - std::min(v.size(), codec::kRetainedHeaderSize);
    Drop why = row ? drop_reason(row->delivered_ms, now_ms) : Drop::kExpired;
    if (why == Drop::kNone) break;
    if (Status s = cur->del(); !s.is_ok()) return s;
    pending_.events -= 1;
    pending_.bytes -= std::min(pending_.bytes, size);
    bytes += size;
    (why == Drop::kExpired ? d.expired : why == Drop::kBudget ? d.budget : d.disk) += 1;
  }
  return d;
}

Status RetainedLog::run_step(MDB_env* env, int64_t now_ms) {
  auto txn = WriteTxn::begin(env);
  if (!txn) return txn.status();
  auto dropped = delete_oldest(*txn, now_ms);
  if (!dropped) {
    aborted();
    return dropped.status();
  }
  dirty_ = dropped->rows() > 0;
  Status s = flush(*txn);
  if (s.is_ok()) s = txn->commit();
  if (!s.is_ok()) {
    aborted();
    return s;
  }
  committed();
  count_drops(*dropped);
  auto read = ReadTxn::begin(env);
  if (!read) return read.status();
  s = read_oldest(read->get());
  pending_oldest_delivered_ms_ = oldest_delivered_ms_;
  pending_oldest_received_ms_ = oldest_received_ms_;
  return s;
}

RetainedStats RetainedLog::stats() const {
  RetainedStats s = counters_;
  s.events = committed_.events;
  s.bytes = committed_.bytes;
  s.oldest_delivered_ms = oldest_delivered_ms_;
  s.oldest_received_ms = oldest_received_ms_;
  s.shedding = shedding_;
  return s;
}

}  // namespace spillway::queue::retain
