// Appends and settles: the operations that move events in and out of the queue.
#include "queue/dedupe/dedupe_index.h"
#include "queue/detail/ingest_gate.h"
#include "queue/detail/store_ops.h"
#include "queue/inbox.h"
#include "queue/record_codec.h"
#include "queue/replay_job/replay_jobs.h"
#include "queue/retain/retained_log.h"

namespace spillway::queue::detail {
namespace {

dedupe::KeyId key_id(AccountId account, const std::string& idempotency_key) {
  return dedupe::make_key_id(codec::idempotency_hash(idempotency_key), account);
}

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

// What the index knows of each event's key before anything of the request is written, so that a
// damaged index refuses the request whole (503) instead of storing part of it. nullopt: store.
Result<std::vector<std::optional<Seq>>> look_up_keys(TxnContext& ctx, AccountId account,
                                                     const AppendRequest& request) {
  std::vector<std::optional<Seq>> known(request.events.size());
  if (ctx.dedupe == nullptr) return known;
  std::vector<dedupe::KeyId> ids;
  std::vector<size_t> keyed;  // the events whose key is ids[j]
  for (size_t i = 0; i < request.events.size(); ++i) {
    const std::string& key = request.events[i].idempotency_key;
    if (key.empty()) continue;
    ids.push_back(key_id(account, key));
    keyed.push_back(i);
  }
  if (ids.empty()) return known;
  auto dups = ctx.dedupe->find_many(ctx.txn().get(), ids, ctx.now_ms);
  if (!dups) return Status::unavailable("idempotency index unreadable: " + dups.status().message());
  for (size_t j = 0; j < keyed.size(); ++j) known[keyed[j]] = (*dups)[j];
  return known;
}

Result<AppendOutcome> append_one(TxnContext& ctx, AccountRecord& rec, const EventIn& ev,
                                 std::optional<Seq> known, int64_t recv_ms) {
  if (known) return AppendOutcome{*known, true};
  bool keyed = !ev.idempotency_key.empty() && ctx.dedupe != nullptr;
  dedupe::KeyId id = keyed ? key_id(rec.id, ev.idempotency_key) : dedupe::KeyId{};
  // The same key twice in one request: the second is a duplicate of the first.
  if (keyed) {
    if (auto first = ctx.dedupe->find_recent(id, ctx.now_ms)) return AppendOutcome{*first, true};
  }
  auto seq = store_event(ctx, rec, ev.payload, recv_ms);
  if (!seq) return seq.status();
  if (keyed) {
    Status s = ctx.dedupe->remember(ctx.txn(), dedupe::KeyEntry{id, *seq, ctx.now_ms});
    if (!s.is_ok()) return ctx.fail(s);
  }
  return AppendOutcome{*seq, false};
}

}  // namespace

// MDB_NOOVERWRITE: a reused seq would be a bug.
Result<Seq> store_event(TxnContext& ctx, AccountRecord& rec, std::string_view payload,
                        int64_t enqueue_ms, const ReplayMark& mark) {
  Seq seq{rec.next_seq++};
  std::string value = codec::event_value(payload, enqueue_ms, mark);
  Status s =
      ctx.inbox != nullptr
          ? ctx.inbox->stage(ctx.txn(), rec.id, seq, value, payload.size(), enqueue_ms, ctx.now_ms)
          : ctx.txn().put(ctx.tables().events, codec::event_key(rec.id, seq), value,
                          MDB_NOOVERWRITE);
  if (!s.is_ok()) return ctx.fail(s);
  if (rec.depth == 0) {
    rec.head_seq = seq.value;
    rec.oldest_ms = enqueue_ms;
  }
  ctx.on_queued(rec, payload.size());
  return seq;
}

Result<AppendResult> apply_append(TxnContext& ctx, const AppendRequest& request) {
  AccountRecord* rec = ctx.account(request.account);
  if (rec == nullptr) return Status::not_found("unknown account");
  if (Status s = check_quotas(ctx, *rec, request); !s.is_ok()) return s;
  auto known = look_up_keys(ctx, rec->id, request);
  if (!known) return known.status();
  AppendResult result;
  result.outcomes.reserve(request.events.size());
  for (size_t i = 0; i < request.events.size(); ++i) {
    auto outcome = append_one(ctx, *rec, request.events[i], (*known)[i], request.received_ms);
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
  d.replay = value.replay;
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
  codec::EventValue ev = value ? *value : codec::EventValue{0, **found, {}};
  if (why != nullptr) {
    if (Status s = move_to_dead(ctx, rec, codec::EventKey{rec.id, seq}, ev, *why); !s.is_ok())
      return s;
  } else {
    if (ev.replay.job != 0 && ctx.replay_jobs != nullptr)
      ctx.replay_jobs->on_delivered(ev.replay.job);
    // Kept in the commit that deletes it: a delivered event is either queued or retained. A
    // replayed one keeps its original receive time.
    const int64_t received = ev.replay.job != 0 ? ev.replay.received_ms : ev.enqueue_ms;
    Status s = ctx.retained == nullptr
                   ? Status::ok()
                   : ctx.retained->keep(ctx.txn(), rec.id, seq, received, ev.payload, ctx.now_ms);
    if (!s.is_ok()) return ctx.fail(s);
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

}  // namespace spillway::queue::detail
