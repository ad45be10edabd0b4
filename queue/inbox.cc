#include "queue/inbox.h"

#include <string>

#include "common/assert.h"
#include "queue/record_codec.h"

namespace spillway::queue {

void Inbox::Staged::add(Seq seq, uint64_t payload_bytes, int64_t enqueue_ms) {
  if (count == 0) {
    first_seq = seq.value;
    first_enqueue_ms = enqueue_ms;
  }
  last_seq = seq.value;
  count += 1;
  bytes += payload_bytes;
}

Status Inbox::scan(MDB_txn* txn, const DurableRecord& durable, uint64_t limit,
                   const RowFn& each) const {
  auto cur = Cursor::open(txn, tables_.inbox);
  if (!cur) return cur.status();
  std::unordered_map<AccountId, uint64_t> next_seq;  // per account, the lowest seq allowed
  for (auto more = cur->first(); limit > 0; more = cur->next(), --limit) {
    if (!more) return more.status();
    if (!*more) return Status::ok();
    auto row = codec::parse_inbox_value(cur->value());
    if (!row) return row.status();
    auto ev = codec::parse_event_value(row->event_value);
    if (!ev) return Status::corruption("inbox: " + ev.status().message());
    const AccountId account = row->key.account;
    auto it = next_seq.find(account);
    if (it == next_seq.end()) {
      std::optional<AccountRecord> rec = durable(account);
      if (!rec) {
        return Status::corruption("inbox: row of unknown account " + std::to_string(account.value));
      }
      it = next_seq.emplace(account, rec->next_seq).first;
    }
    if (row->key.seq.value < it->second) {
      return Status::corruption("inbox: account " + std::to_string(account.value) + " has seq " +
                                std::to_string(row->key.seq.value) + " staged below its next seq " +
                                std::to_string(it->second));
    }
    it->second = row->key.seq.value + 1;
    Row r{account, row->key.seq, ev->payload.size(), ev->enqueue_ms};
    if (Status s = each(r, row->event_value); !s.is_ok()) return s;
  }
  return Status::ok();
}

Status Inbox::open(MDB_env* env, const DurableRecord& durable) {
  auto txn = ReadTxn::begin(env);
  if (!txn) return txn.status();
  staged_.clear();
  rows_ = bytes_ = oldest_ms_ = 0;
  Status s = scan(txn->get(), durable, UINT64_MAX, [&](const Row& r, std::string_view) {
    staged_[r.account].add(r.seq, r.bytes, r.enqueue_ms);
    if (rows_ == 0) oldest_ms_ = r.enqueue_ms;
    rows_ += 1;
    bytes_ += r.bytes;
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  auto cur = Cursor::open(txn->get(), tables_.inbox);
  if (!cur) return cur.status();
  auto last = cur->last();
  if (!last) return last.status();
  if (!*last) return Status::ok();
  auto id = codec::parse_inbox_key(cur->key());
  if (!id) return Status::corruption("inbox: malformed row key");
  next_id_ = *id + 1;
  return Status::ok();
}

AccountRecord Inbox::Staged::apply_to(AccountRecord rec) const {
  SPW_ASSERT(first_seq >= rec.next_seq);
  if (rec.depth == 0) {
    rec.head_seq = first_seq;
    rec.oldest_ms = first_enqueue_ms;
  }
  rec.depth += count;
  rec.bytes += bytes;
  rec.next_seq = last_seq + 1;
  return rec;
}

AccountRecord Inbox::view(AccountRecord rec) const {
  auto it = staged_.find(rec.id);
  return it == staged_.end() ? rec : it->second.apply_to(std::move(rec));
}

Status Inbox::stage(WriteTxn& txn, AccountId account, Seq seq, std::string_view event_value,
                    uint64_t payload_bytes, int64_t enqueue_ms, int64_t now_ms) {
  const uint64_t id = next_id_ + txn_rows_.size();
  Status s = txn.put(tables_.inbox, codec::inbox_key(id),
                     codec::inbox_value(account, seq, event_value), MDB_APPEND);
  if (!s.is_ok()) return s;
  if (txn_rows_.empty()) txn_oldest_ms_ = now_ms;
  txn_rows_.push_back({account, seq, payload_bytes, enqueue_ms});
  return Status::ok();
}

void Inbox::committed() {
  if (!txn_rows_.empty()) {
    if (rows_ == 0) oldest_ms_ = txn_oldest_ms_;
    for (const Row& r : txn_rows_) {
      staged_[r.account].add(r.seq, r.bytes, r.enqueue_ms);
      bytes_ += r.bytes;
    }
    next_id_ += txn_rows_.size();
    rows_ += txn_rows_.size();
  }
  aborted();
}

void Inbox::aborted() {
  txn_rows_.clear();
  txn_oldest_ms_ = 0;
}

Result<Inbox::Moved> Inbox::move(WriteTxn& txn, const DurableRecord& durable, uint64_t max_rows) {
  std::unordered_map<AccountId, Staged> moved;
  uint64_t rows = 0;
  Status s = scan(txn.get(), durable, max_rows, [&](const Row& r, std::string_view event_value) {
    moved[r.account].add(r.seq, r.bytes, r.enqueue_ms);
    rows += 1;
    return txn.put(tables_.events, codec::event_key(r.account, r.seq), event_value,
                   MDB_NOOVERWRITE);
  });
  if (!s.is_ok()) return s;
  const bool all = rows == rows_;
  if (all) {
    // Emptied whole: its pages go back to the free list at once.
    if (int rc = mdb_drop(txn.get(), tables_.inbox, 0); rc != MDB_SUCCESS) {
      return lmdb_status(rc, "mdb_drop(inbox)");
    }
  } else if (Status del = delete_first(txn, rows); !del.is_ok()) {
    return del;
  }
  Moved out;
  out.rows = rows;
  out.records.reserve(moved.size());
  for (const auto& [id, st] : moved) {
    // The writer's view and the rows must agree: anything else is a bug in the staging path.
    if (all) SPW_ASSERT(staged_.at(id) == st);
    AccountRecord rec = st.apply_to(*durable(id));  // scan() checked that it exists
    Status put = txn.put(tables_.accounts, codec::account_key(id), codec::account_value(rec));
    if (!put.is_ok()) return put;
    out.records.push_back(std::move(rec));
  }
  return out;
}

Status Inbox::delete_first(WriteTxn& txn, uint64_t rows) {
  auto cur = Cursor::open(txn.get(), tables_.inbox);
  if (!cur) return cur.status();
  for (uint64_t i = 0; i < rows; ++i) {
    auto more = cur->first();
    if (!more) return more.status();
    SPW_ASSERT(*more);
    if (Status s = cur->del(); !s.is_ok()) return s;
  }
  return Status::ok();
}

Status Inbox::moved(const Moved& m, MDB_env* env, const DurableRecord& durable) {
  if (m.rows == rows_) {
    rows_ = 0;
    bytes_ = 0;
    oldest_ms_ = 0;
    staged_.clear();
    return Status::ok();
  }
  return open(env, durable);
}

}  // namespace spillway::queue
