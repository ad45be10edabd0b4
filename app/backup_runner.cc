#include "app/backup_runner.h"

#include "queue/lmdb_env.h"

namespace spillway::app {

bool BackupRunner::start(std::string dir, std::function<void(Status)> done) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_ || running_.exchange(true)) return false;
  if (thread_.joinable()) thread_.join();  // the previous copy has finished (running_ was false)
  thread_ = std::thread([this, dir = std::move(dir), done = std::move(done)] {
    Status s = env_.copy_compacted(dir);
    running_ = false;
    done(s);
  });
  return true;
}

void BackupRunner::stop() {
  std::lock_guard<std::mutex> lock(mu_);
  stopped_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace spillway::app
