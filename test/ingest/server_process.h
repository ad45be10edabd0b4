#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace spillway::test {

// Runs the real `spillway serve` binary (path from $SPILLWAY_BIN) as a child process on
// 127.0.0.1:0 with the given data dir, waits for its `ready` log line and parses the port.
// stderr goes to DATA_DIR/../<name>.log. The destructor SIGKILLs a child still running.
class ServerProcess {
 public:
  ServerProcess(std::string data_dir, std::vector<std::string> extra_args = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts and waits up to 10 s for `ready`; false (with the log kept) on failure.
  bool start();
  // SIGTERM, then waits up to 30 s; returns the exit status (-1 on timeout or signal).
  int stop();
  // SIGKILL and reap (the whole process group when a wrapper runs the server).
  void kill9();
  // True while the child has not exited (reaps it when it has).
  bool running();
  // Runs the server under a wrapper command, e.g. {"strace", "-f", "-o", "/dev/null", ...}:
  // argv becomes wrapper + the server's argv. The child gets its own process group so kill9()
  // also ends the server under a wrapper that does not forward signals. Call before start().
  void set_wrapper(std::vector<std::string> wrapper) { wrapper_ = std::move(wrapper); }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string log() const;

 private:
  std::string data_dir_;
  std::vector<std::string> args_;
  std::vector<std::string> wrapper_;
  std::string log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// The admin token every test server is started with (via SPILLWAY_ADMIN_TOKEN).
inline constexpr const char* kTestAdminToken = "test-admin-token-0123456789";

}  // namespace spillway::test
