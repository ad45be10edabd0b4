// Dead-letter requeue and purge.
#include "queue/detail/store_ops.h"
#include "queue/record_codec.h"

namespace spillway::queue::detail {
namespace {

// Puts a dead letter back into the queue at its original seq. Seqs are never reused, so the
// slot is free, and because it is below the head it is delivered before everything queued. A
// replayed event keeps its mark, so it is delivered as a replay again and counted by its job.
Status requeue_one(TxnContext& ctx, AccountRecord& rec, const DeadLetter& d) {
  Status s = ctx.txn().put(ctx.tables().events, codec::event_key(rec.id, d.seq),
                           codec::event_value(d.payload, d.enqueue_ms, d.replay), MDB_NOOVERWRITE);
  if (!s.is_ok()) return ctx.fail(s);
  ctx.on_queued(rec, d.payload.size());
  rec.dead_count -= 1;
  rec.dead_bytes -= d.payload.size();
  return Status::ok();
}

// Visits up to `max` dead letters of the account, oldest first, deleting each after `visit`.
template <typename Visit>
Result<uint64_t> drain_dead(TxnContext& ctx, AccountRecord& rec, uint32_t max, Visit visit) {
  auto cur = Cursor::open(ctx.txn().get(), ctx.tables().dead);
  if (!cur) return ctx.fail(cur.status());
  const std::string start = codec::dead_key(rec.id, Seq{0});
  uint64_t n = 0;
  while (n < max) {
    auto more = cur->seek(start);
    if (!more) return ctx.fail(more.status());
    auto key = *more ? codec::parse_event_key(cur->key()) : std::nullopt;
    if (!key || key->account != rec.id) break;
    auto dead = codec::parse_dead(cur->key(), cur->value());
    if (!dead) return ctx.fail(dead.status());
    if (Status s = visit(*dead); !s.is_ok()) return s;
    if (Status s = cur->del(); !s.is_ok()) return ctx.fail(s);
    ++n;
  }
  return n;
}

}  // namespace

Result<uint64_t> apply_requeue_dead(TxnContext& ctx, AccountId account, uint32_t max) {
  AccountRecord* rec = ctx.account(account);
  if (rec == nullptr) return Status::not_found("unknown account");
  auto n =
      drain_dead(ctx, *rec, max, [&](const DeadLetter& d) { return requeue_one(ctx, *rec, d); });
  if (!n) return n;
  if (*n > 0) {
    ctx.summary().appended.push_back(account);
    if (Status s = ctx.refresh_head(*rec); !s.is_ok()) return s;
  }
  ctx.summary().changed.push_back(account);
  return n;
}

Result<uint64_t> apply_purge_dead(TxnContext& ctx, AccountId account, uint32_t max) {
  AccountRecord* rec = ctx.account(account);
  if (rec == nullptr) return Status::not_found("unknown account");
  auto n = drain_dead(ctx, *rec, max, [&](const DeadLetter& d) {
    rec->dead_count -= 1;
    rec->dead_bytes -= d.payload.size();
    return Status::ok();
  });
  ctx.summary().changed.push_back(account);
  return n;
}

}  // namespace spillway::queue::detail
