// spillway: a durable event ingestion queue. main() only dispatches subcommands; each one
// lives in its own file under app/.
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "app/commands.h"
#include "app/exit_codes.h"
#include "app/serve.h"
#include "app/version.h"

namespace {

constexpr std::string_view kUsage =
    "usage: spillway <command> [options]     (spillway <command> --help for each)\n"
    "server:\n"
    "  serve                        run the HTTP ingest server and the drain engine\n"
    "operator (talk to a running server; --url, token from $SPILLWAY_ADMIN_TOKEN or\n"
    "          DATA_DIR/admin.token):\n"
    "  status                       drain state, backlog totals, accounts behind\n"
    "  pause [ACCOUNT]              pause all draining, or one account's\n"
    "  resume [ACCOUNT]             resume all draining, or one account's\n"
    "  limits [--rate N] [--concurrency N]   show or set the drain limits\n"
    "  accounts create NAME | list  manage accounts\n"
    "  accounts new NAME            offline: credentials + entry for --accounts-file\n"
    "  node status|drain|undrain    scale-down: stop taking events, deliver, report drained\n"
    "  dead list|replay|purge ACCOUNT        dead letters\n"
    "  replay --from T --to T | list | cancel ID   re-deliver retained events (after a restore)\n"
    "maintenance:\n"
    "  verify DATA_DIR              offline integrity check\n"
    "  upgrade DATA_DIR             move an older store format to this build's (offline)\n"
    "  backup DATA_DIR OUT_DIR      compacting copy (hot, through the server, if one runs)\n"
    "  --version                    print the version\n"
    "exit codes: 0 ok, 1 server-side error, 2 usage, 3 unreachable, 4 auth\n";

int dispatch(std::string_view command, const std::vector<std::string>& args) {
  using namespace spillway::app;
  if (command == "serve") return serve_main(args);
  if (command == "bench-noop-server") return bench_noop_main(args);
  if (command == "status") return status_main(args);
  if (command == "pause") return pause_main(args, true);
  if (command == "resume") return pause_main(args, false);
  if (command == "limits") return limits_main(args);
  if (command == "accounts") return accounts_main(args);
  if (command == "dead") return dead_main(args);
  if (command == "node") return node_main(args);
  if (command == "verify") return verify_main(args);
  if (command == "upgrade") return upgrade_main(args);
  if (command == "replay") return replay_main(args);
  if (command == "backup") return backup_main(args);
  if (command == "--version" || command == "version") {
    std::cout << "spillway " << kVersion << "\n";
    return kExitOk;
  }
  if (command == "--help" || command == "help" || command == "-h") {
    std::cout << kUsage;
    return kExitOk;
  }
  std::cerr << "spillway: unknown command \"" << command << "\"\n" << kUsage;
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return spillway::app::kExitUsage;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  try {
    return dispatch(argv[1], args);
  } catch (const std::exception& e) {
    // Exceptions are allowed only in startup (HOUSE_STYLE §4); they end the process non-zero.
    std::cerr << "spillway: " << e.what() << "\n";
    return 1;
  }
}
