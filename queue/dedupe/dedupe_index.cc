#include "queue/dedupe/dedupe_index.h"

#include <algorithm>

#include "queue/dedupe/index_build.h"
#include "queue/lmdb_txn.h"

namespace spillway::queue::dedupe {

DedupeIndex::DedupeIndex(const Tables& tables, IndexOptions options, Logger& logger)
    : tables_(tables), options_(options), log_(logger), lookup_(tables) {
  policy_.window_ms = options_.window_ms;
}

DedupeIndex::~DedupeIndex() {
  if (sorting_.valid()) sorting_.wait();
}

Status DedupeIndex::open(MDB_env* env, int64_t now_ms) {
  auto txn = ReadTxn::begin(env);
  if (!txn) return txn.status();
  auto sealed = txn->find(tables_.meta, codec::kMetaSealedPos);
  if (!sealed) return sealed.status();
  if (*sealed) {
    auto pos = codec::parse_u64(**sealed);
    if (!pos) return pos.status();
    sealed_pos_ = *pos;
  }
  for (auto load : {&DedupeIndex::load_runs, &DedupeIndex::find_garbage}) {
    if (Status s = (this->*load)(txn->get()); !s.is_ok()) return s;
  }
  if (Status s = load_recent(txn->get(), now_ms); !s.is_ok()) return s;
  log_.info("queue", "idempotency index open",
            {{"runs", static_cast<uint64_t>(runs_.size())},
             {"recent_keys", static_cast<uint64_t>(recent_.active_size())},
             {"garbage_runs", static_cast<uint64_t>(garbage_.size())}});
  return Status::ok();
}

Status DedupeIndex::load_runs(MDB_txn* txn) {
  auto cur = Cursor::open(txn, tables_.dedupe_runs);
  if (!cur) return cur.status();
  for (auto more = cur->first();; more = cur->next()) {
    if (!more) return more.status();
    if (!*more) break;
    auto r = codec::parse_run(cur->key(), cur->value());
    if (!r) return r.status();
    runs_.push_back(*r);
    next_run_id_ = std::max(next_run_id_, r->id + 1);
  }
  std::sort(runs_.begin(), runs_.end(),
            [](const auto& a, const auto& b) { return a.max_seen_ms > b.max_seen_ms; });
  return Status::ok();
}

// Rows of runs that never became live (a build cut short by a crash) or were retired but not
// yet deleted. Hops from run id to run id: O(runs), not O(rows).
Status DedupeIndex::find_garbage(MDB_txn* txn) {
  for (MDB_dbi dbi : {tables_.dedupe_blocks, tables_.dedupe_bloom}) {
    auto cur = Cursor::open(txn, dbi);
    if (!cur) return cur.status();
    uint64_t id = 0;
    for (auto more = cur->seek(codec::run_key(0));; more = cur->seek(codec::run_key(id + 1))) {
      if (!more) return more.status();
      if (!*more || cur->key().size() < 8) break;
      id = *codec::parse_u64(cur->key().substr(0, 8));
      if (run(id) == nullptr) garbage_.insert(id);
      next_run_id_ = std::max(next_run_id_, id + 1);
    }
  }
  auto cur = Cursor::open(txn, tables_.dedupe_log);
  if (!cur) return cur.status();
  auto first = cur->first();
  if (!first) return first.status();
  if (*first) {
    auto pos = codec::parse_log_key(cur->key());
    if (!pos) return pos.status();
    log_garbage_ = *pos <= sealed_pos_;
  }
  return Status::ok();
}

Status DedupeIndex::load_recent(MDB_txn* txn, int64_t now_ms) {
  next_pos_ = sealed_pos_ + 1;
  auto cur = Cursor::open(txn, tables_.dedupe_log);
  if (!cur) return cur.status();
  for (auto more = cur->seek(codec::log_key(sealed_pos_ + 1));; more = cur->next()) {
    if (!more) return more.status();
    if (!*more) break;
    auto pos = codec::parse_log_key(cur->key());
    auto e = codec::parse_log_value(cur->value());
    if (!pos) return pos.status();
    if (!e) return e.status();
    next_pos_ = *pos + 1;
    if (e->seen_ms + options_.window_ms > now_ms) recent_.add(*e, *pos);
  }
  // Only rows up to sealed_pos_ are ever deleted, so no position after it was used before.
  recent_.commit();
  txn_first_pos_ = next_pos_;
  return Status::ok();
}

const codec::RunInfo* DedupeIndex::run(uint64_t id) const {
  for (const codec::RunInfo& r : runs_) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

Result<std::vector<std::optional<Seq>>> DedupeIndex::find_many(MDB_txn* txn,
                                                               std::span<const KeyId> ids,
                                                               int64_t now_ms) {
  const int64_t seen_after = now_ms - options_.window_ms;
  std::vector<std::optional<Seq>> seqs(ids.size());
  open_.clear();
  for (size_t i = 0; i < ids.size(); ++i) {
    if (auto e = recent_.find(ids[i]); e && e->seen_ms > seen_after) {
      seqs[i] = e->seq;
    } else {
      open_.push_back(i);
    }
  }
  for (const codec::RunInfo& r : runs_) {
    if (open_.empty() || r.max_seen_ms <= seen_after) break;  // newest first: the rest expired
    open_ids_.clear();
    for (size_t i : open_) open_ids_.push_back(&ids[i]);
    if (Status s = lookup_.find_many(txn, r, open_ids_, found_); !s.is_ok()) {
      auto now = std::chrono::steady_clock::now();
      if (now >= next_damage_log_) {  // every refused request would log it otherwise
        next_damage_log_ = now + std::chrono::seconds(10);
        log_.error("queue", "idempotency index damaged, refusing keyed ingest (spillway verify)",
                   {{"error", s.message()}});
      }
      return s;
    }
    size_t still = 0;
    for (size_t j = 0; j < open_.size(); ++j) {
      if (found_[j] && found_[j]->seen_ms > seen_after) {
        seqs[open_[j]] = found_[j]->seq;
      } else {
        open_[still++] = open_[j];
      }
    }
    open_.resize(still);
  }
  return seqs;
}

std::optional<Seq> DedupeIndex::find_recent(const KeyId& id, int64_t now_ms) const {
  auto e = recent_.find(id);
  if (!e || e->seen_ms <= now_ms - options_.window_ms) return std::nullopt;
  return e->seq;
}

Status DedupeIndex::remember(WriteTxn& txn, const KeyEntry& e) {
  uint64_t pos = next_pos_;
  Status s = txn.put(tables_.dedupe_log, codec::log_key(pos), codec::log_value(e), MDB_APPEND);
  if (!s.is_ok()) return s;
  next_pos_ += 1;
  recent_.add(e, pos);
  return Status::ok();
}

void DedupeIndex::committed() {
  recent_.commit();
  lookup_.forget();
  txn_first_pos_ = next_pos_;
}

void DedupeIndex::aborted() {
  recent_.rollback();
  lookup_.forget();
  next_pos_ = txn_first_pos_;
}

IndexStats DedupeIndex::stats() const {
  IndexStats s = stats_;
  s.runs = runs_.size();
  s.run_keys = 0;
  for (const codec::RunInfo& r : runs_) s.run_keys += r.count;
  s.recent_keys = recent_.active_size() + recent_.frozen_size();
  s.bloom_fetches = lookup_.fetches();
  s.pinned_bloom_chunks = lookup_.pinned_chunks();
  s.busy = seal_ || merge_ || sorting_.valid() || !garbage_.empty() || log_garbage_;
  return s;
}

}  // namespace spillway::queue::dedupe
