#include "queue/replay_job/replay_jobs.h"

#include "queue/lmdb_txn.h"
#include "queue/record_codec.h"
#include "queue/replay_job/job_codec.h"

namespace spillway::queue::replay_job {

Status ReplayJobs::open(MDB_env* env) {
  auto txn = ReadTxn::begin(env);
  if (!txn) return txn.status();
  auto next = txn->find(tables_.meta, codec::kMetaNextReplayId);
  if (!next) return next.status();
  if (*next) {
    auto id = queue::codec::parse_u32(**next);
    if (!id) return id.status();
    next_id_ = *id;
  }
  auto cur = Cursor::open(txn->get(), tables_.replay_jobs);
  if (!cur) return cur.status();
  for (auto more = cur->first();; more = cur->next()) {
    if (!more) return more.status();
    if (!*more) break;
    auto job = codec::parse_job(cur->key(), cur->value());
    if (!job) return job.status();
    committed_[job->id] = std::move(*job);
  }
  return Status::ok();
}

// The group's first touch copies the committed jobs (a handful) into the pending view.
void ReplayJobs::begin() {
  if (in_group_) return;
  in_group_ = true;
  pending_ = committed_;
  pending_next_id_ = next_id_;
}

ReplayJob* ReplayJobs::find(uint64_t id) {
  begin();
  auto it = pending_.find(id);
  return it == pending_.end() ? nullptr : &it->second;
}

ReplayJob& ReplayJobs::add(ReplayJob job) {
  begin();
  job.id = pending_next_id_++;
  dirty_.insert(job.id);
  return pending_[job.id] = std::move(job);
}

void ReplayJobs::touch(uint64_t id) {
  begin();
  dirty_.insert(id);
}

void ReplayJobs::on_delivered(uint64_t job) {
  ReplayJob* j = find(job);
  if (j == nullptr) return;  // a job from a store that lost its row: nothing to count
  j->delivered += 1;
  dirty_.insert(job);
}

std::vector<uint64_t> ReplayJobs::in_state(ReplayState s) {
  begin();
  std::vector<uint64_t> out;
  for (const auto& [id, job] : pending_) {
    if (job.state == s) out.push_back(id);
  }
  return out;
}

Status ReplayJobs::flush(WriteTxn& txn) {
  if (!in_group_) return Status::ok();
  for (uint64_t id : dirty_) {
    Status s = txn.put(tables_.replay_jobs, codec::job_key(id), codec::job_value(pending_[id]));
    if (!s.is_ok()) return s;
  }
  if (pending_next_id_ != next_id_) {
    Status s = txn.put(tables_.meta, codec::kMetaNextReplayId,
                       queue::codec::u32_value(static_cast<uint32_t>(pending_next_id_)));
    if (!s.is_ok()) return s;
  }
  return Status::ok();
}

bool ReplayJobs::committed() {
  if (!in_group_) return false;
  committed_ = std::move(pending_);
  next_id_ = pending_next_id_;
  aborted();
  return true;
}

void ReplayJobs::aborted() {
  in_group_ = false;
  pending_.clear();
  dirty_.clear();
}

bool ReplayJobs::has_work() const {
  for (const auto& [id, job] : committed_) {
    if (job.state == ReplayState::kRunning || job.state == ReplayState::kCancelling) return true;
  }
  return false;
}

std::vector<ReplayJob> ReplayJobs::snapshot() const {
  std::vector<ReplayJob> out;
  for (const auto& [id, job] : committed_) out.push_back(job);
  return out;
}

}  // namespace spillway::queue::replay_job
