#include "queue/inbox.h"

#include <algorithm>

#include "common/assert.h"
#include "queue/record_codec.h"

namespace spillway::queue {

Status Inbox::open(MDB_env* env) {
  auto txn = ReadTxn::begin(env);
  if (!txn) return txn.status();
  auto cur = Cursor::open(txn->get(), tables_.inbox);
  if (!cur) return cur.status();
  auto last = cur->last();
  if (!last) return last.status();
  if (!*last) return Status::ok();
  auto id = codec::parse_inbox_key(cur->key());
  if (!id) return Status::corruption("inbox: malformed row key");
  next_id_ = *id + 1;
  MDB_stat st{};
  if (int rc = mdb_stat(txn->get(), tables_.inbox, &st); rc != MDB_SUCCESS) {
    return lmdb_status(rc, "mdb_stat(inbox)");
  }
  rows_ = st.ms_entries;
  return Status::ok();
}

Status Inbox::stage(WriteTxn& txn, AccountId account, Seq seq, std::string_view event_value,
                    uint64_t payload_bytes, int64_t now_ms) {
  const uint64_t id = next_id_ + txn_rows_;
  Status s = txn.put(tables_.inbox, codec::inbox_key(id),
                     codec::inbox_value(account, seq, event_value), MDB_APPEND);
  if (!s.is_ok()) return s;
  if (txn_rows_ == 0) {
    txn_first_id_ = id;
    txn_oldest_ms_ = now_ms;
  }
  txn_rows_ += 1;
  txn_bytes_ += payload_bytes;
  txn_accounts_.push_back(account);
  return Status::ok();
}

void Inbox::committed(const std::vector<AccountRecord>& changed) {
  if (txn_rows_ > 0) {
    SPW_ASSERT(txn_first_id_ == next_id_);
    next_id_ += txn_rows_;
    if (rows_ == 0) oldest_ms_ = txn_oldest_ms_;
    rows_ += txn_rows_;
    bytes_ += txn_bytes_;
  }
  for (const AccountRecord& rec : changed) {
    if (std::find(txn_accounts_.begin(), txn_accounts_.end(), rec.id) != txn_accounts_.end()) {
      records_.insert_or_assign(rec.id, rec);
    }
  }
  SPW_ASSERT(rows_ > 0 || records_.empty());
  aborted();
}

void Inbox::aborted() {
  txn_rows_ = 0;
  txn_bytes_ = 0;
  txn_first_id_ = 0;
  txn_oldest_ms_ = 0;
  txn_accounts_.clear();
}

namespace {

// What store_event() does to a record, from a staged row.
Status apply_row(AccountRecord& rec, Seq seq, const codec::EventValue& ev) {
  if (seq.value < rec.next_seq) {
    return Status::corruption("inbox: account " + std::to_string(rec.id.value) + " has seq " +
                              std::to_string(seq.value) + " staged below its next seq " +
                              std::to_string(rec.next_seq));
  }
  rec.next_seq = seq.value + 1;
  if (rec.depth == 0) {
    rec.head_seq = seq.value;
    rec.oldest_ms = ev.enqueue_ms;
  }
  rec.depth += 1;
  rec.bytes += ev.payload.size();
  return Status::ok();
}

}  // namespace

Result<std::vector<AccountRecord>> Inbox::move(WriteTxn& txn, const DurableRecord& durable) {
  std::unordered_map<AccountId, AccountRecord> moved;
  {
    auto cur = Cursor::open(txn.get(), tables_.inbox);
    if (!cur) return cur.status();
    for (auto more = cur->first();; more = cur->next()) {
      if (!more) return more.status();
      if (!*more) break;
      auto row = codec::parse_inbox_value(cur->value());
      if (!row) return row.status();
      auto ev = codec::parse_event_value(row->event_value);
      if (!ev) return Status::corruption("inbox: " + ev.status().message());
      auto it = moved.find(row->key.account);
      if (it == moved.end()) {
        std::optional<AccountRecord> rec = durable(row->key.account);
        if (!rec) {
          return Status::corruption("inbox: row of unknown account " +
                                    std::to_string(row->key.account.value));
        }
        it = moved.emplace(row->key.account, std::move(*rec)).first;
      }
      if (Status s = apply_row(it->second, row->key.seq, *ev); !s.is_ok()) return s;
      Status s = txn.put(tables_.events, codec::event_key(row->key.account, row->key.seq),
                         row->event_value, MDB_NOOVERWRITE);
      if (!s.is_ok()) return s;
    }
  }
  // Emptied whole: its pages go back to the free list at once.
  if (int rc = mdb_drop(txn.get(), tables_.inbox, 0); rc != MDB_SUCCESS) {
    return lmdb_status(rc, "mdb_drop(inbox)");
  }
  std::vector<AccountRecord> out;
  out.reserve(moved.size());
  for (auto& [id, rec] : moved) {
    // The writer's view and the rows must agree: anything else is a bug in the staging path.
    if (auto known = records_.find(id); known != records_.end()) SPW_ASSERT(known->second == rec);
    Status s = txn.put(tables_.accounts, codec::account_key(id), codec::account_value(rec));
    if (!s.is_ok()) return s;
    out.push_back(std::move(rec));
  }
  return out;
}

void Inbox::moved() {
  rows_ = 0;
  bytes_ = 0;
  oldest_ms_ = 0;
  records_.clear();
}

}  // namespace spillway::queue
