// The index's maintenance: sealing the recent keys, merging and dropping runs, and deleting
// what they replaced. Each step is one bounded write transaction between group commits.
#include <algorithm>

#include "queue/dedupe/dedupe_index.h"
#include "queue/dedupe/index_build.h"
#include "queue/lmdb_txn.h"

namespace spillway::queue::dedupe {

void DedupeIndex::tick(int64_t now_ms) {
  // Over the bound, appends wait for the sort too, not only for the seal's steps.
  if (must_work() && sorting_.valid()) sorting_.wait();
  start_seal_if_sorted();
  if (recent_.has_frozen() || recent_.active_size() == 0) return;
  bool full = recent_.active_size() >= options_.seal_keys;
  bool old = now_ms - recent_.active_oldest_ms() >= options_.seal_interval_ms;
  if (!full && !old) return;
  sorting_pos_ = recent_.freeze();
  std::vector<KeyEntry> entries = recent_.frozen_entries();
  const int64_t seen_after = now_ms - options_.window_ms;
  // Sorting 131,072 keys takes ~10 ms: not on the writer thread. Keys whose window has ended
  // are left out of the run.
  sorting_ = std::async(std::launch::async, [v = std::move(entries), seen_after]() mutable {
    std::erase_if(v, [seen_after](const KeyEntry& e) { return e.seen_ms <= seen_after; });
    sort_entries(v);
    return std::move(v);
  });
}

void DedupeIndex::start_seal_if_sorted() {
  if (seal_ || !sorting_.valid()) return;
  if (sorting_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
  auto build = std::make_unique<Build>();
  auto sorted = std::make_unique<SortedEntries>(sorting_.get());
  build->writer = std::make_unique<RunWriter>(tables_, next_run_id_++, 0, sorted->max_entries());
  build->source = std::move(sorted);
  build->sealed_pos = sorting_pos_;
  seal_ = std::move(build);
}

bool DedupeIndex::must_work() const {
  return recent_.active_size() >= 2 * options_.seal_keys && recent_.has_frozen();
}

bool DedupeIndex::is_merge_input(uint64_t id) const {
  return merge_ &&
         std::find(merge_->inputs.begin(), merge_->inputs.end(), id) != merge_->inputs.end();
}

bool DedupeIndex::has_work(int64_t now_ms) {
  if (seal_ || merge_ || !garbage_.empty() || log_garbage_) return true;
  if (!expired_runs(runs_, now_ms, options_.window_ms).empty()) return true;
  return !pick_merge(runs_, now_ms, policy_).empty();
}

void DedupeIndex::start_merge(int64_t now_ms) {
  std::vector<uint64_t> ids = pick_merge(runs_, now_ms, policy_);
  if (ids.empty()) return;
  std::vector<codec::RunInfo> inputs;
  uint8_t level = 0;
  for (uint64_t id : ids) {
    inputs.push_back(*run(id));
    level = std::max<uint8_t>(level, inputs.back().level);
  }
  auto build = std::make_unique<Build>();
  build->source = std::make_unique<MergedRuns>(tables_, inputs, now_ms - options_.window_ms);
  build->writer = std::make_unique<RunWriter>(tables_, next_run_id_++,
                                              static_cast<uint8_t>(std::min(level + 1, 255)),
                                              build->source->max_entries());
  build->inputs = std::move(ids);
  merge_ = std::move(build);
}

Status DedupeIndex::run_step(MDB_env* env, int64_t now_ms) {
  auto txn = WriteTxn::begin(env);
  if (!txn) return txn.status();
  Status s = step(*txn, now_ms);
  if (s.is_ok()) s = txn->commit();
  lookup_.forget();
  if (s.is_ok()) {
    step_committed();
  } else {
    step_aborted();
  }
  return s;
}

Status DedupeIndex::step(WriteTxn& txn, int64_t now_ms) {
  effects_ = std::make_unique<Effects>();
  if (seal_) return step_build(txn, *seal_);
  if (Status s = step_expire(txn, now_ms); !s.is_ok() || !effects_->retired.empty()) return s;
  if (!merge_) start_merge(now_ms);
  if (merge_) return step_build(txn, *merge_);
  return step_collect(txn);
}

// Writes up to step_bytes of the run; the last step makes it live and retires what it replaces.
Status DedupeIndex::step_build(WriteTxn& txn, Build& build) {
  effects_->stepped = &build;
  effects_->was_seal = &build == seal_.get();
  const uint64_t started = build.writer->bytes_written();
  const uint64_t budget_end = started + options_.step_bytes;
  while (build.writer->bytes_written() < budget_end) {
    auto e = build.source->next(txn.get());
    if (!e) return e.status();
    if (!*e) break;
    if (Status s = build.writer->add(txn, **e); !s.is_ok()) return s;
  }
  if (build.writer->bytes_written() < budget_end) {
    auto info = build.writer->finish(txn);
    if (!info) return info.status();
    if (info->count > 0) {
      Status s = txn.put(tables_.dedupe_runs, codec::run_key(info->id), codec::run_value(*info));
      if (!s.is_ok()) return s;
      effects_->added = *info;
    } else {
      effects_->retired.push_back(info->id);  // everything had expired: its rows are garbage
    }
    for (uint64_t id : build.inputs) {
      if (Status s = txn.del(tables_.dedupe_runs, codec::run_key(id)); !s.is_ok()) return s;
      effects_->retired.push_back(id);
    }
    if (build.sealed_pos) {
      Status s = txn.put(tables_.meta, codec::kMetaSealedPos, codec::u64_value(*build.sealed_pos));
      if (!s.is_ok()) return s;
      effects_->sealed_pos = build.sealed_pos;
    }
    effects_->built = true;
  }
  stats_.maintenance_bytes += build.writer->bytes_written() - started;
  return Status::ok();
}

Status DedupeIndex::step_expire(WriteTxn& txn, int64_t now_ms) {
  for (uint64_t id : expired_runs(runs_, now_ms, options_.window_ms)) {
    if (is_merge_input(id)) continue;
    if (Status s = txn.del(tables_.dedupe_runs, codec::run_key(id)); !s.is_ok()) return s;
    effects_->retired.push_back(id);
  }
  return Status::ok();
}

namespace {

constexpr unsigned kCollectRows = 256;      // run rows (blocks of 4 KiB, Bloom chunks) per step
constexpr unsigned kCollectLogRows = 8192;  // key-log rows (36 bytes) per step

// Deletes up to `*budget` rows of run `id` from one table; true when none is left.
Result<bool> delete_run_rows(MDB_txn* txn, MDB_dbi dbi, uint64_t id, unsigned* budget) {
  auto cur = Cursor::open(txn, dbi);
  if (!cur) return cur.status();
  for (;;) {
    auto found = cur->seek(codec::run_key(id));
    if (!found) return found.status();
    if (!*found || cur->key().size() < 8 || *codec::parse_u64(cur->key().substr(0, 8)) != id) {
      return true;
    }
    if (*budget == 0) return false;
    if (Status s = cur->del(); !s.is_ok()) return s;
    *budget -= 1;
  }
}

// Deletes up to kCollectLogRows key-log rows at or before `sealed`; true when none is left.
Result<bool> delete_log_rows(MDB_txn* txn, MDB_dbi dbi, uint64_t sealed) {
  auto cur = Cursor::open(txn, dbi);
  if (!cur) return cur.status();
  for (unsigned n = 0;; ++n) {
    auto found = cur->first();
    if (!found) return found.status();
    if (!*found || *codec::parse_u64(cur->key()) > sealed) return true;
    if (n == kCollectLogRows) return false;
    if (Status s = cur->del(); !s.is_ok()) return s;
  }
}

}  // namespace

Status DedupeIndex::step_collect(WriteTxn& txn) {
  unsigned budget = kCollectRows;
  for (uint64_t id : garbage_) {
    auto blocks_done = delete_run_rows(txn.get(), tables_.dedupe_blocks, id, &budget);
    if (!blocks_done) return blocks_done.status();
    auto bloom_done = delete_run_rows(txn.get(), tables_.dedupe_bloom, id, &budget);
    if (!bloom_done) return bloom_done.status();
    if (*blocks_done && *bloom_done) effects_->collected.push_back(id);
    if (budget == 0) return Status::ok();
  }
  if (!log_garbage_) return Status::ok();
  auto done = delete_log_rows(txn.get(), tables_.dedupe_log, sealed_pos_);
  if (!done) return done.status();
  effects_->log_collected = *done;
  return Status::ok();
}

void DedupeIndex::step_committed() {
  Effects& fx = *effects_;
  for (uint64_t id : fx.retired) {
    std::erase_if(runs_, [id](const codec::RunInfo& r) { return r.id == id; });
    lookup_.drop_run(id);  // before its rows are collected and their pages reused
    garbage_.insert(id);
  }
  if (fx.stepped == nullptr) stats_.dropped_runs += fx.retired.size();
  if (fx.added) {
    runs_.push_back(*fx.added);
    std::sort(runs_.begin(), runs_.end(),
              [](const auto& a, const auto& b) { return a.max_seen_ms > b.max_seen_ms; });
  }
  if (fx.sealed_pos) {
    sealed_pos_ = *fx.sealed_pos;
    log_garbage_ = true;
    recent_.drop_frozen();
  }
  if (fx.built) {
    (fx.was_seal ? stats_.seals : stats_.merges) += 1;
    (fx.was_seal ? seal_ : merge_).reset();
  }
  for (uint64_t id : fx.collected) garbage_.erase(id);
  if (fx.log_collected) log_garbage_ = false;
  effects_.reset();
}

// The step's writes are gone. A build cannot resume from the middle (its writer already moved
// on), so it is abandoned: its rows so far are garbage, and a seal starts again from the
// frozen keys, which are still in memory.
void DedupeIndex::step_aborted() {
  Effects& fx = *effects_;
  std::unique_ptr<Build>& build = fx.was_seal ? seal_ : merge_;
  if (fx.stepped != nullptr) {
    garbage_.insert(build->writer->run_id());
    build.reset();
    if (fx.was_seal) {
      std::vector<KeyEntry> entries = recent_.frozen_entries();
      sort_entries(entries);
      auto again = std::make_unique<Build>();
      again->writer = std::make_unique<RunWriter>(tables_, next_run_id_++, 0, entries.size());
      again->source = std::make_unique<SortedEntries>(std::move(entries));
      again->sealed_pos = sorting_pos_;
      seal_ = std::move(again);
    }
  }
  effects_.reset();
}

}  // namespace spillway::queue::dedupe
