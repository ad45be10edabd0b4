#include "queue/detail/txn_context.h"

#include "queue/account_table.h"
#include "queue/inbox.h"
#include "queue/record_codec.h"
#include "queue/replay_job/replay_jobs.h"
#include "queue/retain/retained_log.h"

namespace spillway::queue::detail {

TxnContext::TxnContext(WriteTxn& txn, const Tables& tables, const AccountTable& table,
                       const WalOptions& options)
    : txn_(txn), tables_(tables), table_(table), options_(options) {}

AccountRecord* TxnContext::account(AccountId id) {
  auto it = dirty_.find(id);
  if (it != dirty_.end()) return &it->second;
  std::optional<AccountRecord> rec = table_.get(id);
  if (!rec) return nullptr;
  if (inbox != nullptr) rec = inbox->view(std::move(*rec));
  return &dirty_.emplace(id, std::move(*rec)).first->second;
}

AccountRecord& TxnContext::add_account(AccountRecord record) {
  AccountId id = record.id;
  return dirty_.insert_or_assign(id, std::move(record)).first->second;
}

uint64_t TxnContext::queued(AccountId id) const {
  auto it = dirty_.find(id);
  if (it != dirty_.end()) return it->second.depth;
  std::optional<AccountRecord> rec = table_.get(id);
  if (!rec) return 0;
  return inbox != nullptr ? inbox->view(std::move(*rec)).depth : rec->depth;
}

uint64_t TxnContext::total_bytes() const {
  const int64_t staged = inbox != nullptr ? static_cast<int64_t>(inbox->payload_bytes()) : 0;
  return static_cast<uint64_t>(static_cast<int64_t>(table_.total_bytes()) + staged + bytes_delta_);
}

void TxnContext::on_queued(AccountRecord& rec, uint64_t payload_bytes) {
  rec.depth += 1;
  rec.bytes += payload_bytes;
  bytes_delta_ += static_cast<int64_t>(payload_bytes);
}

void TxnContext::on_removed(AccountRecord& rec, uint64_t payload_bytes) {
  SPW_ASSERT(rec.depth > 0 && rec.bytes >= payload_bytes);
  rec.depth -= 1;
  rec.bytes -= payload_bytes;
  bytes_delta_ -= static_cast<int64_t>(payload_bytes);
}

Status TxnContext::refresh_head(AccountRecord& rec) {
  auto cur = Cursor::open(txn_.get(), tables_.events);
  if (!cur) return fail(cur.status());
  auto found = cur->seek(codec::account_prefix_key(rec.id));
  if (!found) return fail(found.status());
  auto key = *found ? codec::parse_event_key(cur->key()) : std::nullopt;
  if (!key || key->account != rec.id) {
    rec.head_seq = 0;
    rec.oldest_ms = 0;
    return Status::ok();
  }
  rec.head_seq = key->seq.value;
  auto value = codec::parse_event_value(cur->value());
  // A damaged head event still has a position; its age is unknown, so count it as new.
  rec.oldest_ms = value ? value->enqueue_ms : now_ms;
  return Status::ok();
}

Status TxnContext::fail(Status s) {
  SPW_ASSERT(!s.is_ok());
  if (fatal_.is_ok()) fatal_ = s;
  return s;
}

Status TxnContext::flush() {
  // Staged appends change no durable record: the move writes them (queue/inbox.h).
  for (const auto& [id, rec] : dirty_) {
    if (inbox != nullptr) break;  // all of them
    Status s = txn_.put(tables_.accounts, codec::account_key(id), codec::account_value(rec));
    if (!s.is_ok()) return fail(s);
  }
  if (retained != nullptr) {
    if (Status s = retained->flush(txn_); !s.is_ok()) return fail(s);
  }
  if (replay_jobs != nullptr) {
    if (Status s = replay_jobs->flush(txn_); !s.is_ok()) return fail(s);
  }
  if (next_account_id_changed) {
    Status s = txn_.put(tables_.meta, codec::kMetaNextAccountId, codec::u32_value(next_account_id));
    if (!s.is_ok()) return fail(s);
  }
  return Status::ok();
}

std::vector<AccountRecord> TxnContext::changed_records() const {
  std::vector<AccountRecord> out;
  out.reserve(dirty_.size());
  for (const auto& [id, rec] : dirty_) out.push_back(rec);
  return out;
}

}  // namespace spillway::queue::detail
