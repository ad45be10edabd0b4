#include "queue/wal_writer.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "queue/account_table.h"
#include "queue/dedupe/dedupe_index.h"
#include "queue/dedupe/maintenance_pacer.h"
#include "queue/detail/ingest_gate.h"
#include "queue/detail/store_ops.h"
#include "queue/detail/write_op.h"
#include "queue/detail/write_queue.h"
#include "queue/inbox.h"
#include "queue/lmdb_env.h"
#include "queue/lmdb_txn.h"
#include "queue/record_codec.h"
#include "queue/replay_job/replay_jobs.h"
#include "queue/retain/retained_log.h"

namespace spillway::queue {

using detail::FunctionOp;
using detail::IngestGate;
using detail::TxnContext;
using detail::WriteOp;
using OpPtr = std::unique_ptr<WriteOp>;

class WalWriter::Impl {
 public:
  Impl(LmdbEnv& env, AccountTable& accounts, const WalOptions& options, const Clock& clock,
       Logger& logger)
      : env_(env),
        accounts_(accounts),
        options_(options),
        clock_(clock),
        log_(logger),
        queue_(options) {}

  LmdbEnv& env_;
  AccountTable& accounts_;
  WalOptions options_;
  const Clock& clock_;
  Logger& log_;
  detail::WriteQueue queue_;
  std::thread thread_;
  bool started_ = false;
  bool stopped_ = false;

  // Writer-thread state.
  uint32_t next_account_id_ = 1;
  IngestGate gate_{env_, options_};
  dedupe::DedupeIndex dedupe_{env_.tables(), index_options(options_), log_};
  dedupe::MaintenancePacer index_pacer_;
  retain::RetainedLog retained_{env_.tables(), retain_options(options_), log_};
  std::chrono::steady_clock::time_point next_retain_step_{};
  replay_job::ReplayJobs replay_jobs_{env_.tables()};
  Inbox inbox_{env_.tables()};
  std::chrono::steady_clock::time_point last_staged_{};
  // A move that found the map full is tried again from then on (settles free the space).
  std::chrono::steady_clock::time_point next_move_try_{};
  std::chrono::steady_clock::time_point next_map_full_log_{};  // at most one line a second
  std::chrono::steady_clock::time_point next_replay_step_{};
  IngestGate::Verdict gate_verdict_;  // of the last evaluation, for the next group
  std::chrono::steady_clock::time_point next_housekeeping_{};
  std::chrono::steady_clock::time_point next_probe_{};

  std::mutex listener_mu_;
  // Guarded by listener_mu_.
  CommitListener listener_;

  // Shared with callers: the sticky failure and the ingest gate.
  mutable std::mutex state_mu_;
  // Guarded by state_mu_.
  Status sticky_;
  bool sticky_forever_ = false;
  std::string refusal_reason_;
  ReaderLag reader_lag_;
  dedupe::IndexStats index_stats_;
  retain::RetainedStats retained_stats_;
  std::vector<ReplayJob> replay_jobs_published_;
  std::atomic<bool> ingest_refused_{false};
  ReaderWatchdog watchdog_;  // writer thread only

  std::atomic<uint64_t> commits_{0}, failed_commits_{0}, ops_{0}, events_{0};
  std::atomic<uint64_t> staged_events_{0}, inbox_moves_{0}, inbox_rows_{0};
  Histogram commit_seconds_{Histogram::latency_seconds()};
  Histogram group_ops_{Histogram::powers_of_two()};

  void submit(OpPtr op, const std::function<void(Status)>& refuse);
  void run();
  void process(std::vector<OpPtr>& group);
  Status commit_group(std::vector<OpPtr>& group, bool& map_full, bool stage = false);
  Status commit_group_once(std::vector<OpPtr>& group, bool& map_full, bool stage);
  bool stages(const std::vector<OpPtr>& group) const;
  Status move_inbox();
  Status move_inbox_rows(uint64_t max_rows);
  Status try_move_inbox();
  void maybe_move_inbox(bool idle);
  void on_map_full();
  void apply_group(TxnContext& ctx, std::vector<OpPtr>& group);
  void after_commit(TxnContext& ctx, size_t ops, std::chrono::steady_clock::time_point started,
                    bool staged);
  void finish(std::vector<OpPtr>& group, const Status& commit);
  void on_commit_failed(const Status& s, bool panic);
  void try_probe();
  Status commit_heartbeat();
  void refresh_ingest_gate(bool force);
  void housekeeping();
  void maintain_index(bool idle);
  void maintain_retention();
  void publish_retained();
  void publish_replay_jobs();
  void step_replays();
  static retain::RetainOptions retain_options(const WalOptions& o) {
    return {.keep_ms = o.retain_delivered.count(), .max_bytes = o.retain_max_bytes};
  }
  static dedupe::IndexOptions index_options(const WalOptions& o) {
    return {o.dedupe_window.count(), o.dedupe_seal_keys, o.dedupe_seal_interval.count(),
            o.dedupe_step_bytes};
  }
  Status sticky() const {
    std::lock_guard<std::mutex> lock(state_mu_);
    return sticky_;
  }
};

WalWriter::WalWriter(LmdbEnv& env, AccountTable& accounts, const WalOptions& options,
                     const Clock& clock, Logger& logger)
    : impl_(std::make_unique<Impl>(env, accounts, options, clock, logger)) {}

WalWriter::~WalWriter() { SPW_ASSERT(!impl_->started_ || impl_->stopped_); }

void WalWriter::set_commit_listener(CommitListener listener) {
  std::lock_guard<std::mutex> lock(impl_->listener_mu_);
  impl_->listener_ = std::move(listener);
}

namespace {
Result<uint32_t> read_next_account_id(const LmdbEnv& env) {
  auto meta = ReadTxn::begin(env.get());
  if (!meta) return meta.status();
  auto next = meta->find(env.tables().meta, codec::kMetaNextAccountId);
  if (!next) return next.status();
  if (!*next) return uint32_t{1};
  return codec::parse_u32(**next);
}
}  // namespace

Status WalWriter::start() {
  SPW_ASSERT(!impl_->started_);
  auto next = read_next_account_id(impl_->env_);
  if (!next) return next.status();
  impl_->next_account_id_ = *next;
  if (Status s = impl_->dedupe_.open(impl_->env_.get(), impl_->clock_.wall_ms()); !s.is_ok()) {
    return s;
  }
  if (Status s = impl_->retained_.open(impl_->env_.get()); !s.is_ok()) return s;
  impl_->publish_retained();
  if (Status s = impl_->replay_jobs_.open(impl_->env_.get()); !s.is_ok()) return s;
  impl_->publish_replay_jobs();
  // Events a crash left staged are moved before anything else runs (no thread yet). A full
  // map keeps them staged: the store still opens, drains, and moves them once settles free
  // the space (the view of their accounts was rebuilt from the rows).
  auto durable = [this](AccountId id) { return impl_->accounts_.get(id); };
  if (Status s = impl_->inbox_.open(impl_->env_.get(), durable); !s.is_ok()) return s;
  if (!impl_->inbox_.empty()) {
    const uint64_t rows = impl_->inbox_.rows();
    if (Status s = impl_->move_inbox(); is_map_full(s)) {
      impl_->on_map_full();
      impl_->log_.warn("queue", "map full: staged events left by the last run stay staged",
                       {{"events", rows}});
    } else if (!s.is_ok()) {
      return s;
    } else {
      impl_->log_.info("queue", "moved staged events left by the last run", {{"events", rows}});
    }
  }
  impl_->refresh_ingest_gate(true);
  impl_->started_ = true;
  impl_->thread_ = std::thread([this] { impl_->run(); });
  return Status::ok();
}

void WalWriter::stop() {
  if (!impl_->started_ || impl_->stopped_) {
    impl_->stopped_ = true;
    return;
  }
  impl_->queue_.close();
  impl_->thread_.join();
  impl_->stopped_ = true;
}

void WalWriter::Impl::submit(OpPtr op, const std::function<void(Status)>& refuse) {
  if (op->is_append()) {
    // Fail fast without queueing: a refused store must answer 503 at once, not after a wait.
    if (Status s = sticky(); !s.is_ok()) return refuse(s);
    if (ingest_refused_.load()) {
      std::lock_guard<std::mutex> lock(state_mu_);
      return refuse(Status::unavailable(refusal_reason_));
    }
  }
  Status s = queue_.push(std::move(op));
  if (!s.is_ok()) refuse(s);
}

namespace {
template <typename R>
std::function<void(Status)> refuser(std::function<void(R)>& done) {
  return [&done](Status s) { done(R(std::move(s))); };
}
}  // namespace

void WalWriter::append(AppendRequest request, Done<AppendResult> done) {
  uint64_t bytes = 0;
  for (const EventIn& e : request.events) bytes += e.payload.size();
  for (const RejectedIn& r : request.rejected) bytes += r.payload.size();
  auto req = std::make_shared<AppendRequest>(std::move(request));
  auto op = std::make_unique<FunctionOp<Result<AppendResult>>>(
      [req](TxnContext& ctx) { return detail::apply_append(ctx, *req); }, done,
      detail::append_op(req->rejected.empty() &&
                        req->events.size() <= impl_->options_.inbox_max_request_events),
      bytes);
  impl_->submit(std::move(op), refuser(done));
}

void WalWriter::settle(SettleRequest request, StatusDone done) {
  auto req = std::make_shared<SettleRequest>(std::move(request));
  auto op = std::make_unique<FunctionOp<Status>>(
      [req](TxnContext& ctx) { return detail::apply_settle(ctx, *req); }, done, detail::kControlOp);
  impl_->submit(std::move(op), refuser(done));
}

void WalWriter::create_account(CreateAccountRequest request, Done<AccountId> done) {
  auto req = std::make_shared<CreateAccountRequest>(std::move(request));
  auto op = std::make_unique<FunctionOp<Result<AccountId>>>(
      [req](TxnContext& ctx) { return detail::apply_create_account(ctx, *req); }, done,
      detail::kControlOp);
  impl_->submit(std::move(op), refuser(done));
}

void WalWriter::add_credential(AccountId account, Credential credential, StatusDone done) {
  auto op = std::make_unique<FunctionOp<Status>>(
      [account, c = std::move(credential)](TxnContext& ctx) {
        return detail::apply_add_credential(ctx, account, c);
      },
      done, detail::kControlOp);
  impl_->submit(std::move(op), refuser(done));
}

void WalWriter::set_paused(AccountId account, bool paused, StatusDone done) {
  auto op = std::make_unique<FunctionOp<Status>>(
      [=](TxnContext& ctx) { return detail::apply_set_paused(ctx, account, paused); }, done,
      detail::kControlOp);
  impl_->submit(std::move(op), refuser(done));
}

void WalWriter::set_weight(AccountId account, uint32_t weight, StatusDone done) {
  auto op = std::make_unique<FunctionOp<Status>>(
      [=](TxnContext& ctx) { return detail::apply_set_weight(ctx, account, weight); }, done,
      detail::kControlOp);
  impl_->submit(std::move(op), refuser(done));
}

void WalWriter::put_meta(std::string key, std::string value, StatusDone done) {
  auto op = std::make_unique<FunctionOp<Status>>(
      [k = std::move(key), v = std::move(value)](TxnContext& ctx) {
        return detail::apply_put_meta(ctx, k, v);
      },
      done, detail::kControlOp);
  impl_->submit(std::move(op), refuser(done));
}

void WalWriter::requeue_dead(AccountId account, uint32_t max, Done<uint64_t> done) {
  auto op = std::make_unique<FunctionOp<Result<uint64_t>>>(
      [=](TxnContext& ctx) { return detail::apply_requeue_dead(ctx, account, max); }, done,
      detail::kEnqueueOp);
  impl_->submit(std::move(op), refuser(done));
}

void WalWriter::purge_dead(AccountId account, uint32_t max, Done<uint64_t> done) {
  auto op = std::make_unique<FunctionOp<Result<uint64_t>>>(
      [=](TxnContext& ctx) { return detail::apply_purge_dead(ctx, account, max); }, done,
      detail::kControlOp);
  impl_->submit(std::move(op), refuser(done));
}

void WalWriter::create_replay(ReplaySpec spec, Done<ReplayJob> done) {
  auto op = std::make_unique<FunctionOp<Result<ReplayJob>>>(
      [s = std::move(spec)](TxnContext& ctx) { return detail::apply_create_replay(ctx, s); }, done,
      detail::kControlOp);
  impl_->submit(std::move(op), refuser(done));
}

void WalWriter::cancel_replay(uint64_t id, Done<ReplayJob> done) {
  auto op = std::make_unique<FunctionOp<Result<ReplayJob>>>(
      [id](TxnContext& ctx) { return detail::apply_cancel_replay(ctx, id); }, done,
      detail::kControlOp);
  impl_->submit(std::move(op), refuser(done));
}

std::vector<ReplayJob> WalWriter::replay_jobs() const {
  std::lock_guard<std::mutex> lock(impl_->state_mu_);
  return impl_->replay_jobs_published_;
}

Status WalWriter::health() const { return impl_->sticky(); }

ReaderLag WalWriter::reader_lag() const {
  std::lock_guard<std::mutex> lock(impl_->state_mu_);
  return impl_->reader_lag_;
}

bool WalWriter::ingest_refused() const { return impl_->ingest_refused_.load(); }

WalWriter::Stats WalWriter::stats() const {
  Stats s;
  s.commits = impl_->commits_.load();
  s.failed_commits = impl_->failed_commits_.load();
  s.ops = impl_->ops_.load();
  s.events = impl_->events_.load();
  s.queue_full_rejections = impl_->queue_.full_rejections();
  s.staged_events = impl_->staged_events_.load();
  s.inbox_moves = impl_->inbox_moves_.load();
  s.inbox_rows = impl_->inbox_rows_.load();
  return s;
}

HistogramCounts WalWriter::commit_latency() const { return impl_->commit_seconds_.snapshot(); }

HistogramCounts WalWriter::group_sizes() const { return impl_->group_ops_.snapshot(); }

dedupe::IndexStats WalWriter::index_stats() const {
  std::lock_guard<std::mutex> lock(impl_->state_mu_);
  return impl_->index_stats_;
}

retain::RetainedStats WalWriter::retained_stats() const {
  std::lock_guard<std::mutex> lock(impl_->state_mu_);
  return impl_->retained_stats_;
}

HistogramCounts WalWriter::index_step_latency() const { return impl_->index_pacer_.step_latency(); }

}  // namespace spillway::queue

// ---- The writer thread ------------------------------------------------------------------------

namespace spillway::queue {
namespace {
using SteadyClock = std::chrono::steady_clock;
// Retention's expiry steps: the same pacing as the index's under load (maintenance_pacer.h).
constexpr auto kRetainStepGap = std::chrono::milliseconds(5);
constexpr auto kReplayIdleGap = std::chrono::milliseconds(100);
// Staged events move once no group came for this long: a gap between two groups under load is
// shorter, and a move per gap costs a commit each (measured: the gain was gone).
constexpr auto kInboxIdleGap = std::chrono::milliseconds(2);
constexpr auto kMoveRetryGap = std::chrono::milliseconds(100);
// Thread timing uses the real steady clock; the injected Clock stamps events and windows.
}  // namespace

void WalWriter::Impl::run() {
  bool idle = false;
  for (;;) {
    // Index maintenance runs between groups; while it has work, wake for it even when idle.
    auto wait = index_pacer_.wait(dedupe_, clock_.wall_ms(), idle, IngestGate::kFullCheckInterval);
    if (retained_.has_work(clock_.wall_ms()) || replay_jobs_.has_work()) {
      wait = std::min<std::chrono::milliseconds>(wait, kRetainStepGap);
    }
    // Staged events: back at once, so that they move as soon as no group is waiting.
    if (!inbox_.empty()) {
      auto back = options_.inbox_move_when_idle ? kInboxIdleGap : options_.inbox_move_age;
      // A move waiting for space is not retried sooner than kMoveRetryGap anyway.
      const auto now = SteadyClock::now();
      if (now < next_move_try_) {
        back = std::chrono::ceil<std::chrono::milliseconds>(next_move_try_ - now);
      }
      wait = std::min<std::chrono::milliseconds>(wait, back);
    }
    auto group = queue_.take(SteadyClock::now() + wait);
    idle = group.empty();
    if (group.empty() && queue_.closed()) {
      // A clean stop leaves nothing staged (a failed move is redone at the next open).
      if (!inbox_.empty() && sticky().is_ok()) (void)move_inbox();
      break;
    }
    housekeeping();
    // Before every group: a fast disk fills a small reserve in less than the full-check
    // interval (reliability suite FM-06 saw a 12 MiB reserve go in one 100 ms gap).
    refresh_ingest_gate(false);
    // Probe on the timer too: while failed, appends are refused before they reach this thread.
    if (!sticky().is_ok()) try_probe();
    if (!group.empty()) process(group);
    maybe_move_inbox(idle);
    maintain_index(idle);
    maintain_retention();
    step_replays();
  }
}

// A replay step (enqueueing for running jobs, dropping for cancelling ones) is an operation of
// its own: it goes through the same commit (and publication of account records, and the
// drainer's wake-up) as an append. A job that could not move (its
// account's queue is full, ingest refused) is retried every kReplayIdleGap, not every loop.
void WalWriter::Impl::step_replays() {
  if (!replay_jobs_.has_work() || !sticky().is_ok()) return;
  if (SteadyClock::now() < next_replay_step_) return;
  const std::vector<ReplayJob> before = replay_jobs_.snapshot();
  std::vector<OpPtr> group;
  group.push_back(std::make_unique<FunctionOp<Status>>(
      [](TxnContext& ctx) {
        Status s = detail::apply_replay_step(ctx);
        return s.is_ok() ? detail::apply_replay_drop_step(ctx) : s;
      },
      [](const Status&) {}, detail::kEnqueueOp));
  process(group);
  const bool moved = replay_jobs_.snapshot() != before;
  next_replay_step_ = SteadyClock::now() + (moved ? SteadyClock::duration(0) : kReplayIdleGap);
}

void WalWriter::Impl::publish_replay_jobs() {
  std::lock_guard<std::mutex> lock(state_mu_);
  replay_jobs_published_ = replay_jobs_.snapshot();
}

// Expiry gets the same share of the writer as index maintenance: after a step of d ms the next
// waits max(kRetainStepGap, 3d), so ingest keeps at least three quarters while retention sheds.
void WalWriter::Impl::maintain_retention() {
  if (!sticky().is_ok() || SteadyClock::now() < next_retain_step_) return;
  const int64_t now = clock_.wall_ms();
  if (!retained_.has_work(now)) return;
  auto started = SteadyClock::now();
  Status s = retained_.run_step(env_.get(), now);
  auto took = SteadyClock::now() - started;
  next_retain_step_ =
      SteadyClock::now() + std::max<SteadyClock::duration>(kRetainStepGap, 3 * took);
  if (!s.is_ok())
    log_.warn("retain", "retention expiry step failed; retrying", {{"error", s.message()}});
  publish_retained();
}

void WalWriter::Impl::publish_retained() {
  std::lock_guard<std::mutex> lock(state_mu_);
  retained_stats_ = retained_.stats();
}

// Between groups: the index's maintenance, paced by MaintenancePacer.
void WalWriter::Impl::maintain_index(bool idle) {
  if (!sticky().is_ok()) return;
  const int64_t now = clock_.wall_ms();
  dedupe_.tick(now);
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    index_stats_ = dedupe_.stats();
    index_stats_.busy = index_stats_.busy || dedupe_.has_work(now);
  }
  index_pacer_.run(dedupe_, env_.get(), now, idle, log_);
}

void WalWriter::Impl::process(std::vector<OpPtr>& group) {
  if (Status s = sticky(); !s.is_ok()) return finish(group, s);
  const bool stage = stages(group);
  // An operation that puts events into `events` must find the staged ones there first: its
  // seqs come after theirs. Any other commits beside staged rows (queue/inbox.h).
  const bool move_first =
      !stage && !inbox_.empty() &&
      std::any_of(group.begin(), group.end(), [](const OpPtr& op) { return op->takes_seqs(); });
  bool map_full = false;
  Status s = move_first ? try_move_inbox() : Status::ok();
  if (!s.is_ok()) {
    map_full = is_map_full(s);
    if (!map_full) {
      on_commit_failed(s, is_panic(s));
      return finish(group, Status::unavailable("storage failure: " + s.message()));
    }
  } else {
    s = commit_group(group, map_full, stage);
  }
  if (!map_full) {
    if (!s.is_ok()) on_commit_failed(s, is_panic(s));
    return finish(group, s);
  }
  // The map is full. Refuse the appends (and, while staged events cannot move, whatever takes
  // seqs), then retry the rest on its own: settles and deletes free space and must keep
  // working (they rarely need new pages).
  std::vector<OpPtr> refused, others;
  for (OpPtr& op : group) {
    const bool refuse = op->is_append() || (!inbox_.empty() && op->takes_seqs());
    (refuse ? refused : others).push_back(std::move(op));
  }
  on_map_full();
  finish(refused, Status::unavailable(IngestGate::kMapFullReason));
  if (!others.empty()) {
    Status again = commit_group(others, map_full);
    if (!again.is_ok() && !map_full) on_commit_failed(again, is_panic(again));
    finish(others, again);
  }
  // LMDB reuses pages freed by commit N only from commit N+2 on; when only failing appends
  // arrive, nothing would commit and freed space would stay unusable. Move the txn id on.
  (void)commit_heartbeat();
}

void WalWriter::Impl::on_map_full() {
  if (SteadyClock::now() >= next_map_full_log_) {
    log_.error("queue", "map full, refusing ingest", {{"map_size", options_.map_size}});
    next_map_full_log_ = SteadyClock::now() + std::chrono::seconds(1);
  }
  gate_.on_map_full(SteadyClock::now());
  refresh_ingest_gate(false);
}

Status WalWriter::Impl::commit_heartbeat() {
  auto txn = WriteTxn::begin(env_.get());
  if (!txn) return txn.status();
  std::string now = codec::u32_value(static_cast<uint32_t>(clock_.wall_ms() / 1000));
  if (Status s = txn->put(env_.tables().meta, codec::kMetaHeartbeat, now); !s.is_ok()) return s;
  int injected = options_.faults != nullptr ? options_.faults->before_commit() : 0;
  if (injected != 0) return Status::io_error(std::strerror(injected));
  return txn->commit();
}

bool WalWriter::Impl::stages(const std::vector<OpPtr>& group) const {
  if (options_.inbox_min_group == 0) return false;
  // Once staging, a lone append stages too: taking the direct path would cost a move first.
  if (group.size() < options_.inbox_min_group && inbox_.empty()) return false;
  return std::all_of(group.begin(), group.end(), [](const OpPtr& op) { return op->stageable(); });
}

// Every staged event into `events`, in transactions of their own; then the accounts are
// published and the drainer told, as after the appends' own commit on the direct path.
// All at once needs free pages for every staged event while the inbox still holds them (its
// pages are free only from two commits on): when the map has not that much, halves of it.
Status WalWriter::Impl::move_inbox() {
  uint64_t chunk = inbox_.rows();
  while (!inbox_.empty()) {
    Status s = move_inbox_rows(chunk);
    if (s.is_ok()) continue;
    if (!is_map_full(s) || chunk == 1) return s;
    chunk = (chunk + 1) / 2;
  }
  return Status::ok();
}

Status WalWriter::Impl::move_inbox_rows(uint64_t max_rows) {
  auto started = SteadyClock::now();
  auto txn = WriteTxn::begin(env_.get());
  if (!txn) return txn.status();
  auto durable = [this](AccountId id) { return accounts_.get(id); };
  auto moved = inbox_.move(*txn, durable, max_rows);
  if (!moved) return moved.status();
  int injected = options_.faults != nullptr ? options_.faults->before_commit() : 0;
  if (injected != 0) return Status::io_error(std::string(std::strerror(injected)) + " (injected)");
  if (Status s = txn->commit(); !s.is_ok()) return s;
  accounts_.publish(moved->records);
  if (Status s = inbox_.moved(*moved, env_.get(), durable); !s.is_ok()) return s;
  commits_ += 1;
  inbox_moves_ += 1;
  inbox_rows_ = inbox_.rows();
  commit_seconds_.observe(std::chrono::duration<double>(SteadyClock::now() - started).count());
  CommitSummary summary;
  for (const AccountRecord& rec : moved->records) summary.appended.push_back(rec.id);
  summary.changed = summary.appended;
  std::lock_guard<std::mutex> lock(listener_mu_);
  if (listener_) listener_(summary);
  return Status::ok();
}

// A move that found the map full is not a storage failure: the rows stay staged, readable and
// counted, and the move is tried again once settles may have freed pages.
Status WalWriter::Impl::try_move_inbox() {
  if (SteadyClock::now() < next_move_try_) {
    return Status::unavailable("MDB_MAP_FULL: staged events wait for space to move");
  }
  Status s = move_inbox();
  if (is_map_full(s)) next_move_try_ = SteadyClock::now() + kMoveRetryGap;
  return s;
}

void WalWriter::Impl::maybe_move_inbox(bool idle) {
  if (inbox_.empty() || !sticky().is_ok() || SteadyClock::now() < next_move_try_) return;
  const bool old = clock_.wall_ms() - inbox_.oldest_ms() >= options_.inbox_move_age.count();
  const bool full = inbox_.rows() >= options_.inbox_move_rows;
  const bool quiet =
      idle && options_.inbox_move_when_idle && SteadyClock::now() - last_staged_ >= kInboxIdleGap;
  if (!quiet && !old && !full) return;
  Status s = try_move_inbox();
  if (is_map_full(s)) {
    on_map_full();
    (void)commit_heartbeat();
  } else if (!s.is_ok()) {
    on_commit_failed(s, is_panic(s));
  }
}

Status WalWriter::Impl::commit_group(std::vector<OpPtr>& group, bool& map_full, bool stage) {
  Status s = commit_group_once(group, map_full, stage);
  // The index learns the fate of the keys it was given: kept, or rolled back.
  if (s.is_ok()) {
    dedupe_.committed();
    retained_.committed();
    if (retained_.enabled()) publish_retained();
    if (replay_jobs_.committed()) publish_replay_jobs();
  } else {
    dedupe_.aborted();
    retained_.aborted();
    replay_jobs_.aborted();
    inbox_.aborted();
  }
  return s;
}

Status WalWriter::Impl::commit_group_once(std::vector<OpPtr>& group, bool& map_full, bool stage) {
  map_full = false;
  auto started = SteadyClock::now();
  auto txn = WriteTxn::begin(env_.get());
  if (!txn) return Status::unavailable("storage failure: " + txn.status().message());
  TxnContext ctx(*txn, env_.tables(), accounts_, options_);
  ctx.inbox = stage ? &inbox_ : nullptr;
  apply_group(ctx, group);
  if (ctx.failed()) {
    map_full = is_map_full(ctx.fatal());
    return Status::unavailable("storage failure: " + ctx.fatal().message());
  }
  int injected = options_.faults != nullptr ? options_.faults->before_commit() : 0;
  if (injected != 0) {
    return Status::unavailable(std::string("storage failure: mdb_txn_commit: ") +
                               std::strerror(injected) + " (injected)");
  }
  if (Status s = txn->commit(); !s.is_ok()) {
    map_full = is_map_full(s);
    return Status::unavailable("storage failure: " + s.message());
  }
  after_commit(ctx, group.size(), started, stage);
  return Status::ok();
}

// Applies every op of the group, then the housekeeping that rides on each commit. Stops at
// the first storage error (recorded in ctx): the transaction is then doomed.
void WalWriter::Impl::apply_group(TxnContext& ctx, std::vector<OpPtr>& group) {
  ctx.now_ms = clock_.wall_ms();
  ctx.next_account_id = next_account_id_;
  ctx.ingest_refused = !gate_verdict_.reason.empty();
  ctx.refusal_reason = gate_verdict_.reason;
  ctx.append_budget = gate_verdict_.append_budget;
  ctx.free_disk = gate_verdict_.free_disk;
  ctx.dedupe = options_.dedupe_window.count() > 0 ? &dedupe_ : nullptr;
  ctx.retained = retained_.enabled() ? &retained_ : nullptr;
  ctx.replay_jobs = &replay_jobs_;
  for (OpPtr& op : group) {
    op->apply(ctx);
    if (ctx.failed()) return;
  }
  if (!ctx.failed()) (void)ctx.flush();
}

// The commit returned OK: publish its account changes (never before), count it, notify.
void WalWriter::Impl::after_commit(TxnContext& ctx, size_t ops, SteadyClock::time_point started,
                                   bool staged) {
  next_account_id_ = ctx.next_account_id;
  // Staged events are published by their move, never before: readers find what they are told.
  if (staged) {
    inbox_.committed();
    last_staged_ = SteadyClock::now();
    staged_events_ += ctx.summary().events;
    inbox_rows_ = inbox_.rows();
    ctx.summary().appended.clear();
    ctx.summary().changed.clear();
  } else {
    accounts_.publish(ctx.changed_records());
  }
  commits_ += 1;
  commit_seconds_.observe(std::chrono::duration<double>(SteadyClock::now() - started).count());
  group_ops_.observe(static_cast<double>(ops));
  ops_ += ops;
  events_ += ctx.summary().events;
  ctx.summary().ops = ops;
  std::lock_guard<std::mutex> lock(listener_mu_);
  if (listener_) listener_(ctx.summary());
}

void WalWriter::Impl::finish(std::vector<OpPtr>& group, const Status& commit) {
  for (OpPtr& op : group) op->complete(commit);
  group.clear();
}

void WalWriter::Impl::on_commit_failed(const Status& s, bool panic) {
  failed_commits_ += 1;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    if (sticky_.is_ok())
      log_.error("queue", "commit failed, refusing writes", {{"error", s.message()}});
    sticky_ = s;
    sticky_forever_ = sticky_forever_ || panic;
  }
  next_probe_ = SteadyClock::now() + options_.recovery_probe_interval;
}

// A failed commit is never retried: its waiters already got an error. Instead, a separate probe
// transaction checks whether the store can commit again before new writes are accepted.
void WalWriter::Impl::try_probe() {
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    if (sticky_forever_) return;
  }
  if (SteadyClock::now() < next_probe_) return;
  next_probe_ = SteadyClock::now() + options_.recovery_probe_interval;
  if (!commit_heartbeat().is_ok()) return;
  std::lock_guard<std::mutex> lock(state_mu_);
  log_.info("queue", "storage recovered, accepting writes", {{"was", sticky_.message()}});
  sticky_ = Status::ok();
}

void WalWriter::Impl::refresh_ingest_gate(bool force) {
  gate_verdict_ = gate_.evaluate(SteadyClock::now(), force);
  const std::string& reason = gate_verdict_.reason;
  // Retention gives the disk back before ingest needs it: once less than one more reserve is
  // left above the reserve (free pages count, so the rows it deletes end the shedding).
  const uint64_t reserve = options_.min_free_disk_bytes;
  if (retained_.set_shedding(!reason.empty() ||
                             (reserve > 0 && gate_verdict_.append_budget < reserve))) {
    publish_retained();
  }
  bool refuse = !reason.empty();
  bool was = ingest_refused_.exchange(refuse);
  if (refuse == was && !refuse) return;  // the common case takes no lock
  std::lock_guard<std::mutex> lock(state_mu_);
  refusal_reason_ = reason;
  if (refuse && !was) log_.warn("queue", "refusing ingest", {{"reason", reason}});
  if (!refuse && was) log_.info("queue", "accepting ingest again");
}

void WalWriter::Impl::housekeeping() {
  auto now = SteadyClock::now();
  if (now < next_housekeeping_) return;
  next_housekeeping_ = now + options_.housekeeping_interval;
  int cleared = env_.clear_stale_readers();
  if (cleared > 0) log_.warn("queue", "cleared stale reader slots", {{"count", cleared}});
  // A reader holding one snapshot across two rounds while commits went on blocks page reuse.
  ReaderLag lag = watchdog_.check(env_.get(), now);
  bool was_stuck = false;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    was_stuck = reader_lag_.stuck;
    reader_lag_ = lag;
  }
  if (lag.stuck) {
    log_.warn("queue", "reader lag: an old read transaction blocks page reuse",
              {{"pid", lag.pid},
               {"txnid", lag.txnid},
               {"lag_txns", lag.lag_txns},
               {"held_s", static_cast<int64_t>(lag.held.count() / 1000)}});
  } else if (was_stuck) {
    log_.info("queue", "reader lag cleared");
  }
}

}  // namespace spillway::queue
