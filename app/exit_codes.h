#pragma once

namespace spillway::app {

// Exit codes of the CLI subcommands (docs/operations.md, "CLI"). `serve` exits 0 after a
// clean shutdown and 1 when it cannot start.
enum ExitCode : int {
  kExitOk = 0,
  kExitServerError = 1,  // the server answered with an error; verify: damage found
  kExitUsage = 2,        // bad command line
  kExitUnreachable = 3,  // no server at the URL (or, for verify/backup, the store cannot open)
  kExitAuth = 4,         // no admin token found, or the server refused it (401/403)
};

}  // namespace spillway::app
