#include "test/crash/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

extern char** environ;

namespace spillway::test {

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  out_fd_ = fds[0];
  if (rc != 0) throw std::runtime_error("posix_spawn " + argv[0] + " failed");
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    std::string ignored;
    kill_and_reap(SIGKILL, ignored);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
}

bool ChildProcess::read_until(std::chrono::steady_clock::time_point deadline, std::string& out) {
  char buf[65536];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return true;
    pollfd p{out_fd_, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n <= 0) continue;
    ssize_t got = ::read(out_fd_, buf, sizeof buf);
    if (got <= 0) return false;
    out.append(buf, static_cast<size_t>(got));
  }
}

int ChildProcess::kill_and_reap(int sig, std::string& out) {
  ::kill(pid_, sig);
  char buf[65536];
  ssize_t got;
  while ((got = ::read(out_fd_, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(got));
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

}  // namespace spillway::test
