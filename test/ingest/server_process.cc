#include "test/ingest/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace spillway::test {
namespace {

std::string binary() {
  const char* bin = std::getenv("SPILLWAY_BIN");
  if (bin == nullptr) throw std::runtime_error("SPILLWAY_BIN is not set");
  return bin;
}

int wait_exit(pid_t pid, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -2;
}

}  // namespace

ServerProcess::ServerProcess(std::string data_dir, std::vector<std::string> extra_args)
    : data_dir_(std::move(data_dir)), args_(std::move(extra_args)) {
  static int counter = 0;
  log_path_ = data_dir_ + ".server" + std::to_string(counter++) + ".log";
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) kill9();
}

bool ServerProcess::start() {
  // The default sink refuses connections, so events stay queued for the tests to read back
  // (a test that exercises delivery passes its own --sink, which wins).
  std::vector<std::string> argv = {binary(),    "serve",    "--data",
                                   data_dir_,   "--listen", "127.0.0.1:0",
                                   "--threads", "2",        "--min-free-disk-bytes",
                                   "0",         "--sink",   "http://127.0.0.1:1/refused"};
  argv.insert(argv.end(), args_.begin(), args_.end());
  argv.insert(argv.begin(), wrapper_.begin(), wrapper_.end());
  pid_ = fork();
  if (pid_ == 0) {
    if (!wrapper_.empty()) setpgid(0, 0);
    int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    setenv("SPILLWAY_ADMIN_TOKEN", kTestAdminToken, 1);
    std::vector<char*> cargs;
    for (auto& a : argv) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    execvp(cargs[0], cargs.data());
    _exit(127);
  }
  std::regex ready(R"(msg=ready listen=127\.0\.0\.1:(\d+))");
  for (int i = 0; i < 1000; ++i) {
    std::smatch m;
    std::string text = log();
    if (std::regex_search(text, m, ready)) {
      port_ = std::stoi(m[1]);
      return true;
    }
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

int ServerProcess::stop() {
  if (pid_ <= 0) return -1;
  ::kill(wrapper_.empty() ? pid_ : -pid_, SIGTERM);
  int code = wait_exit(pid_, std::chrono::seconds(30));
  pid_ = -1;
  return code;
}

void ServerProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(wrapper_.empty() ? pid_ : -pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

bool ServerProcess::running() {
  if (pid_ <= 0) return false;
  if (waitpid(pid_, nullptr, WNOHANG) != pid_) return true;
  if (!wrapper_.empty()) ::kill(-pid_, SIGKILL);  // a tracee the wrapper left behind
  pid_ = -1;
  return false;
}

std::string ServerProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace spillway::test
