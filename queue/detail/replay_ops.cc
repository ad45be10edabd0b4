// Replay jobs: creating, cancelling and advancing them, inside group-commit transactions.
#include <algorithm>

#include "queue/detail/store_ops.h"
#include "queue/record_codec.h"
#include "queue/replay_job/event_filter.h"
#include "queue/replay_job/replay_jobs.h"
#include "queue/retain/retained_codec.h"
#include "queue/retain/retained_reader.h"

namespace spillway::queue::detail {
namespace {

using replay_job::ReplayJobs;

void finish(TxnContext& ctx, ReplayJob& job, ReplayState state) {
  job.state = state;
  job.finished_ms = ctx.now_ms;
}

enum class Next { kTake, kSkip, kFinish };

Next classify(const ReplayJob& job, uint64_t id, const retain::codec::RetainedRow& row) {
  if (id >= job.end_id || row.delivered_ms > job.spec.to_ms) return Next::kFinish;
  if (row.delivered_ms < job.spec.from_ms ||
      !replay_job::matches_filters(job.spec, row.account, row.payload)) {
    return Next::kSkip;
  }
  return Next::kTake;
}

// Re-enqueues one retained event at the end of its account's queue. False when the account
// has too much queued to take more now (the job waits there, keeping per-account order).
Result<bool> take(TxnContext& ctx, const ReplayJob& job, const retain::codec::RetainedRow& row) {
  AccountRecord* rec = ctx.account(row.account);
  if (rec == nullptr) return true;  // the account is gone: nothing to deliver to
  if (rec->depth >= ctx.options().replay_account_window) return false;
  // Copied first: the put below may move the page the row lives on.
  std::string payload(row.payload);
  auto seq =
      store_event(ctx, *rec, payload, ctx.now_ms, ReplayMark{job.id, row.seq, row.received_ms});
  if (!seq) return seq.status();
  if (ctx.summary().appended.empty() || ctx.summary().appended.back() != rec->id) {
    ctx.summary().appended.push_back(rec->id);
    ctx.summary().changed.push_back(rec->id);
  }
  ctx.summary().events += 1;
  return true;
}

// Advances one job by at most `budget` rows; returns the rows used. The cursor moves in this
// transaction together with the events it enqueued, so a crash repeats nothing.
Result<uint64_t> step_job(TxnContext& ctx, ReplayJob& job, uint64_t budget) {
  auto cur = Cursor::open(ctx.txn().get(), ctx.tables().retained);
  if (!cur) return ctx.fail(cur.status());
  uint64_t used = 0;
  for (auto more = cur->seek(retain::codec::retained_key(job.cursor)); used < budget;
       more = cur->next()) {
    if (!more) return ctx.fail(more.status());
    if (!*more) {
      finish(ctx, job, ReplayState::kDone);
      break;
    }
    used += 1;
    auto id = retain::codec::parse_retained_key(cur->key());
    auto row = retain::codec::parse_retained_value(cur->value());
    if (!id) return ctx.fail(id.status());
    Next next = row ? classify(job, *id, *row) : Next::kSkip;  // verify reports damage
    if (next == Next::kFinish) {
      finish(ctx, job, ReplayState::kDone);
      break;
    }
    if (next == Next::kTake) {
      auto took = take(ctx, job, *row);
      if (!took) return took.status();
      if (!*took) break;
      job.matched += 1;
      job.enqueued += 1;
    }
    job.cursor = *id + 1;
  }
  return used;
}

}  // namespace

Result<ReplayJob> apply_create_replay(TxnContext& ctx, const ReplaySpec& spec) {
  if (spec.to_ms < spec.from_ms) return Status::invalid_argument("`to` is before `from`");
  auto start = retain::first_delivered_at(ctx.txn().get(), ctx.tables().retained, spec.from_ms);
  if (!start) return ctx.fail(start.status());
  auto end = retain::end_of_retained(ctx.txn().get(), ctx.tables().retained);
  if (!end) return ctx.fail(end.status());
  ReplayJob job;
  job.spec = spec;
  job.cursor = *start;
  job.end_id = *end;
  job.created_ms = ctx.now_ms;
  return ctx.replay_jobs->add(std::move(job));
}

Result<ReplayJob> apply_cancel_replay(TxnContext& ctx, uint64_t id) {
  ReplayJob* job = ctx.replay_jobs->find(id);
  if (job == nullptr) return Status::not_found("no replay job " + std::to_string(id));
  const bool undelivered = job->state == ReplayState::kRunning ||
                           (job->state == ReplayState::kDone && job->delivered < job->enqueued);
  if (undelivered) {
    job->state = ReplayState::kCancelling;
    job->finished_ms = 0;
    job->drop = {};
    ctx.replay_jobs->touch(id);
  }
  return *job;
}

// Ingest wins: while appends are refused (disk, map), replays enqueue nothing.
Status apply_replay_step(TxnContext& ctx) {
  if (ctx.ingest_refused) return Status::ok();
  uint64_t budget = kReplayStepRows;
  for (uint64_t id : ctx.replay_jobs->in_state(ReplayState::kRunning)) {
    ReplayJob* job = ctx.replay_jobs->find(id);
    const ReplayJob before = *job;
    auto used = step_job(ctx, *job, budget);
    if (!used) return used.status();
    if (!(*job == before)) ctx.replay_jobs->touch(id);
    budget -= std::min(budget, *used);
    if (budget == 0) break;
  }
  return Status::ok();
}

}  // namespace spillway::queue::detail
