// Appends, settles and dedupe pruning: the operations that move events in and out of the queue.
#include "queue/detail/ingest_gate.h"
#include "queue/detail/store_ops.h"
#include "queue/record_codec.h"

namespace spillway::queue::detail {
namespace {

uint64_t request_bytes(const AppendRequest& r) {
  uint64_t n = 0;
  for (const EventIn& e : r.events) n += e.payload.size();
  return n;
}

// Spends the group's disk budget last, so a request refused for another reason costs nothing.
Status check_quotas(TxnContext& ctx, const AccountRecord& rec, const AppendRequest& request) {
  const WalOptions& o = ctx.options();
  if (ctx.ingest_refused) return Status::unavailable(ctx.refusal_reason);
  const uint64_t bytes = request_bytes(request);
  if (o.max_total_bytes > 0 && ctx.total_bytes() + bytes > o.max_total_bytes) {
    return Status::unavailable("global byte quota reached (" + std::to_string(o.max_total_bytes) +
                               " bytes queued)");
  }
  if (o.max_account_bytes > 0 && rec.bytes + bytes > o.max_account_bytes) {
    return Status::resource_exhausted("account " + rec.name + " is over its byte quota (" +
                                      std::to_string(o.max_account_bytes) + " bytes queued)");
  }
  uint64_t dead_bytes = 0;
  for (const RejectedIn& bad : request.rejected) dead_bytes += bad.payload.size();
  const uint64_t cost =
      IngestGate::append_cost(bytes + dead_bytes, request.events.size() + request.rejected.size());
  if (cost > ctx.append_budget) {
    return Status::unavailable(IngestGate::disk_reason(ctx.free_disk, o.min_free_disk_bytes));
  }
  ctx.append_budget -= cost;
  return Status::ok();
}

// Returns the seq of a live earlier copy, or nullopt when the key is new or its window ended.
Result<std::optional<Seq>> find_duplicate(TxnContext& ctx, const std::string& dkey) {
  auto found = ctx.txn().find(ctx.tables().dedupe, dkey);
  if (!found) return ctx.fail(found.status());
  if (!*found) return std::optional<Seq>();
  auto entry = codec::parse_dedupe_value(**found);
  if (!entry) return ctx.fail(entry.status());
  if (entry->expiry_ms <= ctx.now_ms) return std::optional<Seq>();
  return std::optional<Seq>(entry->seq);
}

Status remember_key(TxnContext& ctx, AccountId account, const codec::KeyHash& hash, Seq seq) {
  int64_t expiry = ctx.now_ms + ctx.options().dedupe_window.count();
  Status s = ctx.txn().put(ctx.tables().dedupe, codec::dedupe_key(account, hash),
                           codec::dedupe_value(seq, expiry));
  if (s.is_ok()) {
    s = ctx.txn().put(ctx.tables().dedupe_expiry, codec::dedupe_expiry_key(expiry, account, hash),
                      {});
  }
  return s.is_ok() ? s : ctx.fail(s);
}

// Stores one event at the account's next seq. MDB_NOOVERWRITE: a reused seq would be a bug.
Result<Seq> store_event(TxnContext& ctx, AccountRecord& rec, const EventIn& ev, int64_t recv_ms) {
  Seq seq{rec.next_seq++};
  Status s = ctx.txn().put(ctx.tables().events, codec::event_key(rec.id, seq),
                           codec::event_value(ev.payload, recv_ms), MDB_NOOVERWRITE);
  if (!s.is_ok()) return ctx.fail(s);
  if (rec.depth == 0) {
    rec.head_seq = seq.value;
    rec.oldest_ms = recv_ms;
  }
  ctx.on_queued(rec, ev.payload.size());
  return seq;
}

Status store_rejected(TxnContext& ctx, AccountRecord& rec, const RejectedIn& bad, int64_t recv_ms) {
  DeadLetter d;
  d.account = rec.id;
  d.seq = Seq{rec.next_seq++};  // dead letters share the seq space, so a requeue finds a slot
  d.enqueue_ms = recv_ms;
  d.dead_ms = ctx.now_ms;
  d.attempts = 0;
  d.from_ingest = true;
  d.reason = bad.reason;
  d.payload = bad.payload;
  Status s = ctx.txn().put(ctx.tables().dead, codec::dead_key(rec.id, d.seq), codec::dead_value(d),
                           MDB_NOOVERWRITE);
  if (!s.is_ok()) return ctx.fail(s);
  rec.dead_count += 1;
  rec.dead_bytes += d.payload.size();
  return Status::ok();
}

Result<AppendOutcome> append_one(TxnContext& ctx, AccountRecord& rec, const EventIn& ev,
                                 int64_t recv_ms) {
  if (ev.idempotency_key.empty() || ctx.options().dedupe_window.count() == 0) {
    auto seq = store_event(ctx, rec, ev, recv_ms);
    if (!seq) return seq.status();
    return AppendOutcome{*seq, false};
  }
  codec::KeyHash hash = codec::idempotency_hash(ev.idempotency_key);
  std::string dkey = codec::dedupe_key(rec.id, hash);
  auto dup = find_duplicate(ctx, dkey);
  if (!dup) return dup.status();
  if (*dup) return AppendOutcome{**dup, true};
  auto seq = store_event(ctx, rec, ev, recv_ms);
  if (!seq) return seq.status();
  if (Status s = remember_key(ctx, rec.id, hash, *seq); !s.is_ok()) return s;
  return AppendOutcome{*seq, false};
}

}  // namespace

Result<AppendResult> apply_append(TxnContext& ctx, const AppendRequest& request) {
  AccountRecord* rec = ctx.account(request.account);
  if (rec == nullptr) return Status::not_found("unknown account");
  if (Status s = check_quotas(ctx, *rec, request); !s.is_ok()) return s;
  AppendResult result;
  result.outcomes.reserve(request.events.size());
  for (const EventIn& ev : request.events) {
    auto outcome = append_one(ctx, *rec, ev, request.received_ms);
    if (!outcome) return outcome.status();
    (outcome->duplicate ? result.duplicates : result.stored) += 1;
    result.outcomes.push_back(*outcome);
  }
  for (const RejectedIn& bad : request.rejected) {
    if (Status s = store_rejected(ctx, *rec, bad, request.received_ms); !s.is_ok()) return s;
    result.rejected += 1;
  }
  if (result.stored > 0) ctx.summary().appended.push_back(rec->id);
  ctx.summary().changed.push_back(rec->id);
  ctx.summary().events += result.stored;
  return result;
}

namespace {

Status move_to_dead(TxnContext& ctx, AccountRecord& rec, const codec::EventKey& key,
                    const codec::EventValue& value, const DeadIn& why) {
  DeadLetter d;
  d.account = rec.id;
  d.seq = key.seq;
  d.enqueue_ms = value.enqueue_ms;
  d.dead_ms = ctx.now_ms;
  d.attempts = why.attempts;
  d.reason = why.reason;
  d.payload = std::string(value.payload);
  Status s =
      ctx.txn().put(ctx.tables().dead, codec::dead_key(rec.id, key.seq), codec::dead_value(d));
  if (!s.is_ok()) return ctx.fail(s);
  rec.dead_count += 1;
  rec.dead_bytes += d.payload.size();
  return Status::ok();
}

}  // namespace

namespace {

// Removes one event from the queue, moving it to dead letters when `why` is given.
Status remove_event(TxnContext& ctx, AccountRecord& rec, Seq seq, const DeadIn* why) {
  std::string key = codec::event_key(rec.id, seq);
  auto found = ctx.txn().find(ctx.tables().events, key);
  if (!found) return ctx.fail(found.status());
  if (!*found) return Status::ok();  // already settled
  // A damaged record is still removed from the queue: it was delivered or dead-lettered as is.
  auto value = codec::parse_event_value(**found);
  codec::EventValue ev = value ? *value : codec::EventValue{0, **found};
  if (why != nullptr) {
    if (Status s = move_to_dead(ctx, rec, codec::EventKey{rec.id, seq}, ev, *why); !s.is_ok())
      return s;
  }
  ctx.on_removed(rec, ev.payload.size());
  Status s = ctx.txn().del(ctx.tables().events, key);
  return s.is_ok() ? s : ctx.fail(s);
}

}  // namespace

Status apply_settle(TxnContext& ctx, const SettleRequest& request) {
  AccountRecord* rec = ctx.account(request.account);
  if (rec == nullptr) return Status::not_found("unknown account");
  bool head_touched = false;
  for (Seq seq : request.delivered) {
    head_touched |= seq.value == rec->head_seq;
    if (Status s = remove_event(ctx, *rec, seq, nullptr); !s.is_ok()) return s;
  }
  for (const DeadIn& d : request.dead) {
    head_touched |= d.seq.value == rec->head_seq;
    if (Status s = remove_event(ctx, *rec, d.seq, &d); !s.is_ok()) return s;
  }
  ctx.summary().changed.push_back(rec->id);
  return head_touched ? ctx.refresh_head(*rec) : Status::ok();
}

namespace {

// Deletes the dedupe entry an expired index entry points at, unless it was renewed since (a
// later copy after expiry carries a newer expiry and must stay).
Status forget_key(TxnContext& ctx, const codec::DedupeExpiryKey& key) {
  auto entry = ctx.txn().find(ctx.tables().dedupe, key.dedupe_key);
  if (!entry) return ctx.fail(entry.status());
  if (!*entry) return Status::ok();
  auto v = codec::parse_dedupe_value(**entry);
  if (!v || v->expiry_ms != key.expiry_ms) return Status::ok();
  Status s = ctx.txn().del(ctx.tables().dedupe, key.dedupe_key);
  return s.is_ok() ? s : ctx.fail(s);
}

}  // namespace

Status prune_dedupe(TxnContext& ctx, unsigned max) {
  auto cur = Cursor::open(ctx.txn().get(), ctx.tables().dedupe_expiry);
  if (!cur) return ctx.fail(cur.status());
  for (unsigned n = 0; n < max; ++n) {
    auto more = cur->first();
    if (!more) return ctx.fail(more.status());
    if (!*more) break;
    auto key = codec::parse_dedupe_expiry_key(cur->key());
    if (!key) return ctx.fail(key.status());
    if (key->expiry_ms > ctx.now_ms) break;
    if (Status s = forget_key(ctx, *key); !s.is_ok()) return s;
    if (Status s = cur->del(); !s.is_ok()) return ctx.fail(s);
  }
  return Status::ok();
}

}  // namespace spillway::queue::detail
