#pragma once

#include <lmdb.h>

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "common/result.h"
#include "queue/lmdb_env.h"
#include "queue/replay_job/replay_job.h"

namespace spillway::queue {
class WriteTxn;
}

namespace spillway::queue::replay_job {

// The replay jobs (table `replay_jobs`), held in memory by the writer: there are few, and each
// row is small, so open() reads them all (O(jobs), not O(events)). Changes made inside a group
// are pending until the group's commit returns, like account records: committed() publishes
// them, aborted() forgets them. Owned by the WalWriter; writer thread only.
class ReplayJobs {
 public:
  explicit ReplayJobs(const Tables& tables) : tables_(tables) {}
  ReplayJobs(const ReplayJobs&) = delete;
  ReplayJobs& operator=(const ReplayJobs&) = delete;

  // Errors: read failures, kCorruption for a damaged row.
  Status open(MDB_env* env);

  // Inside a group: the pending copy of a job (nullptr when unknown); changes are written at
  // flush() once touch()ed.
  ReplayJob* find(uint64_t id);
  // Assigns the next id and stores the job at flush().
  ReplayJob& add(ReplayJob job);
  void touch(uint64_t id);
  // A replayed event of `job` was acknowledged (settle).
  void on_delivered(uint64_t job);
  // Ids of the jobs in state `s`, oldest first (pending view).
  std::vector<uint64_t> in_state(ReplayState s);
  Status flush(WriteTxn& txn);
  // Returns whether the group had touched the jobs (then publish them).
  bool committed();
  void aborted();

  // Whether a committed job is running or cancelling (the writer then schedules steps).
  bool has_work() const;
  std::vector<ReplayJob> snapshot() const;

 private:
  void begin();
  const Tables& tables_;
  std::map<uint64_t, ReplayJob> committed_;
  uint64_t next_id_ = 1;
  // Pending state of the current group; valid while in_group_.
  bool in_group_ = false;
  std::map<uint64_t, ReplayJob> pending_;
  uint64_t pending_next_id_ = 1;
  std::set<uint64_t> dirty_;
};

}  // namespace spillway::queue::replay_job
