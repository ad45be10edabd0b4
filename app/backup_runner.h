#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"

namespace spillway::queue {
class LmdbEnv;
}

namespace spillway::app {

// Runs one compacting store copy at a time on its own thread, so an io thread never blocks
// for the length of a copy. Owned by the serve wiring; stop() (before the store closes)
// waits for a copy in progress. Thread-safe.
class BackupRunner {
 public:
  explicit BackupRunner(queue::LmdbEnv& env) : env_(env) {}
  ~BackupRunner() { stop(); }
  BackupRunner(const BackupRunner&) = delete;
  BackupRunner& operator=(const BackupRunner&) = delete;

  // Starts copying into `dir`; `done` runs on the runner's thread with the copy's status.
  // Returns false (and never calls `done`) when a copy is already running or after stop().
  bool start(std::string dir, std::function<void(Status)> done);
  // Refuses new copies and joins the one in progress.
  void stop();

 private:
  queue::LmdbEnv& env_;
  std::mutex mu_;
  // Guarded by mu_.
  std::thread thread_;
  bool stopped_ = false;
  std::atomic<bool> running_{false};
};

}  // namespace spillway::app
