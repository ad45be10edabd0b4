#pragma once

#include <string>
#include <vector>

namespace spillway::test {

// What one run of the spillway binary printed and returned.
struct CliRun {
  int exit = -1;  // exit code; -1 when killed by a signal
  std::string out;
  std::string err;
};

// Runs `$SPILLWAY_BIN ARGS...` to completion (60 s bound, then SIGKILL) with
// SPILLWAY_ADMIN_TOKEN set to `token` (unset when empty) and the working directory `cwd`.
CliRun run_cli(const std::vector<std::string>& args, const std::string& token = "",
               const std::string& cwd = "/");

}  // namespace spillway::test
