// Cancelled replay jobs: removing the events they enqueued that are still queued, in bounded
// steps between group commits, durably (the drop cursor commits with what it removed).
//
// Where a job's events can be: the job enqueues into an account only while the account's queue
// holds fewer than `replay_account_window` events, checked before each event (replay_ops.cc,
// take()), so fewer than `window` events were ahead of a replayed event when it was enqueued.
// Whatever is ahead of it later was ahead of it then (seqs only grow), so it stays within its
// account's first `window` queued events until it leaves. Two things break this: dead letters
// requeued ahead of it (`spillway dead replay`) and a window lowered across a restart. The scan
// covers window + kReplayStepRows events per account, the slack absorbing some of the first; an
// event beyond it is delivered as if the job had not been cancelled (and counted delivered).
//
// In-flight events are removed like any other: the drainer still holds the request, which may
// reach the downstream (its batch id must not change), and its settle then finds nothing to
// delete, which settle treats as already settled (types.h, SettleRequest). Such an event is
// counted dropped, not delivered; the downstream tells it by its replay_id.
#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "queue/detail/store_ops.h"
#include "queue/record_codec.h"
#include "queue/replay_job/replay_jobs.h"

namespace spillway::queue::detail {
namespace {

// Rows (queued events looked at, accounts visited) one step uses across all cancelling jobs.
constexpr uint64_t kDropRows = 512;

// The account at the drop cursor: an index into the job's accounts, or an account id when the
// job covers every account. nullopt once every account was visited.
std::optional<AccountId> account_at(const TxnContext& ctx, const ReplayJob& job) {
  if (!job.spec.accounts.empty()) {
    if (job.drop.account >= job.spec.accounts.size()) return std::nullopt;
    return job.spec.accounts[job.drop.account];
  }
  if (job.drop.account >= ctx.next_account_id) return std::nullopt;
  return AccountId{job.drop.account};
}

void next_account(ReplayJob& job) { job.drop = DropCursor{job.drop.account + 1, 0, 0}; }

struct Doomed {
  Seq seq;
  uint64_t bytes = 0;
};

struct Scan {
  std::vector<Doomed> doomed;  // the job's events found, in seq order
  uint64_t used = 0;
  bool account_done = false;
};

// Looks at up to `budget` queued events from the drop cursor, collecting the job's. Keys are
// copied out: the deletes that follow invalidate the cursor's pages.
Result<Scan> scan(TxnContext& ctx, ReplayJob& job, AccountId account, uint64_t budget) {
  const uint64_t limit = ctx.options().replay_account_window + kReplayStepRows;
  auto cur = Cursor::open(ctx.txn().get(), ctx.tables().events);
  if (!cur) return ctx.fail(cur.status());
  Scan out;
  for (auto more = cur->seek(codec::event_key(account, Seq{job.drop.seq})); out.used < budget;
       more = cur->next()) {
    if (!more) return ctx.fail(more.status());
    auto key = *more ? codec::parse_event_key(cur->key()) : std::nullopt;
    if (!key || key->account != account || job.drop.scanned >= limit) {
      out.account_done = true;
      break;
    }
    out.used += 1;
    // A damaged record is left for verify and the drainer's quarantine.
    auto value = codec::parse_event_value(cur->value());
    if (value && value->replay.job == job.id)
      out.doomed.push_back({key->seq, value->payload.size()});
    job.drop.seq = key->seq.value + 1;
    job.drop.scanned += 1;
  }
  return out;
}

// Removes what scan() found, keeping the account's counters and head and the job's count exact.
Status drop_found(TxnContext& ctx, ReplayJob& job, AccountId account,
                  const std::vector<Doomed>& doomed) {
  if (doomed.empty()) return Status::ok();
  AccountRecord* rec = ctx.account(account);
  if (rec == nullptr) return Status::ok();  // a record without an account: verify reports it
  for (const Doomed& d : doomed) {
    if (Status s = ctx.txn().del(ctx.tables().events, codec::event_key(account, d.seq));
        !s.is_ok()) {
      return ctx.fail(s);
    }
    ctx.on_removed(*rec, d.bytes);
    job.dropped += 1;
  }
  ctx.summary().changed.push_back(account);  // the drainer re-reads the depth
  return ctx.refresh_head(*rec);
}

// Advances one job's drop by at most `budget` rows; returns the rows used.
Result<uint64_t> drop_step_job(TxnContext& ctx, ReplayJob& job, uint64_t budget) {
  uint64_t used = 0;
  while (used < budget) {
    std::optional<AccountId> account = account_at(ctx, job);
    if (!account) {
      job.state = ReplayState::kCancelled;
      job.finished_ms = ctx.now_ms;
      break;
    }
    if (ctx.queued(*account) == 0) {
      next_account(job);
      used += 1;
      continue;
    }
    auto found = scan(ctx, job, *account, budget - used);
    if (!found) return found.status();
    if (Status s = drop_found(ctx, job, *account, found->doomed); !s.is_ok()) return s;
    used += std::max<uint64_t>(found->used, 1);
    if (found->account_done) next_account(job);
  }
  return used;
}

}  // namespace

// Runs while ingest is refused too: a drop only frees space.
Status apply_replay_drop_step(TxnContext& ctx) {
  uint64_t budget = kDropRows;
  for (uint64_t id : ctx.replay_jobs->in_state(ReplayState::kCancelling)) {
    ReplayJob* job = ctx.replay_jobs->find(id);
    auto used = drop_step_job(ctx, *job, budget);
    if (!used) return used.status();
    ctx.replay_jobs->touch(id);
    budget -= std::min(budget, *used);
    if (budget == 0) break;
  }
  return Status::ok();
}

}  // namespace spillway::queue::detail
