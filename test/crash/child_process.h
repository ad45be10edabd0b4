#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace spillway::test {

// A child process started with posix_spawn (never a bare fork: LMDB forbids using an open
// environment after fork), its stdout on a pipe. Killed with SIGKILL on destruction if alive.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Reads whatever stdout arrives until `deadline` (or EOF) and appends it to `out`.
  // Returns false at EOF.
  bool read_until(std::chrono::steady_clock::time_point deadline, std::string& out);
  // Sends `sig`, then reads stdout to EOF into `out` and reaps the child. Returns the wait
  // status.
  int kill_and_reap(int sig, std::string& out);

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
};

}  // namespace spillway::test
