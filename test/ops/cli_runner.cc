#include "test/ops/cli_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace spillway::test {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

CliRun run_cli(const std::vector<std::string>& args, const std::string& token,
               const std::string& cwd) {
  const char* bin = std::getenv("SPILLWAY_BIN");
  if (bin == nullptr) throw std::runtime_error("SPILLWAY_BIN is not set");
  char out_path[] = "/tmp/spillway-cli-out-XXXXXX";
  char err_path[] = "/tmp/spillway-cli-err-XXXXXX";
  int out_fd = mkstemp(out_path);
  int err_fd = mkstemp(err_path);
  std::vector<std::string> argv = {bin};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    if (token.empty()) {
      unsetenv("SPILLWAY_ADMIN_TOKEN");
    } else {
      setenv("SPILLWAY_ADMIN_TOKEN", token.c_str(), 1);
    }
    if (chdir(cwd.c_str()) != 0) _exit(126);
    std::vector<char*> cargs;
    for (auto& a : argv) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    execv(cargs[0], cargs.data());
    _exit(127);
  }
  CliRun run;
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  run.exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  close(out_fd);
  close(err_fd);
  run.out = slurp(out_path);
  run.err = slurp(err_path);
  unlink(out_path);
  unlink(err_path);
  return run;
}

}  // namespace spillway::test
