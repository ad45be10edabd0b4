// `spillway upgrade DATA_DIR`.
#include <iostream>

#include "app/cli_args.h"
#include "app/commands.h"
#include "app/exit_codes.h"
#include "app/store_summary.h"
#include "common/clock.h"
#include "common/logger.h"
#include "queue/wal.h"

namespace spillway::app {
namespace {

constexpr const char* kUsage =
    "usage: spillway upgrade DATA_DIR\n"
    "Moves a store of an older format version to this build's (docs/storage.md, \"Changing the\n"
    "format\"), in bounded transactions with the version bumped last, so a crash part-way can be\n"
    "rerun. Run it with the server stopped, after `spillway backup`; then `spillway verify`.\n"
    "A store already at this version is left as it is.\n"
    "exit codes: 0 upgraded or current, 1 the upgrade failed, 2 usage, 3 the store cannot be\n"
    "opened (a server holds it, or it does not exist)\n";

}  // namespace

int upgrade_main(const std::vector<std::string>& args) {
  auto parsed = parse_cli_args(args, {});
  if (parsed && parsed->help) {
    std::cout << kUsage;
    return kExitOk;
  }
  if (!parsed || parsed->positional.size() != 1) {
    std::cerr << "spillway upgrade: "
              << (parsed ? "expected one DATA_DIR" : parsed.status().message()) << "\n"
              << kUsage;
    return kExitUsage;
  }
  queue::WalOptions options;
  options.dir = parsed->positional[0];
  options.upgrade_format = true;
  StderrLogger log(LogLevel::kInfo);
  SystemClock clock;
  auto wal = queue::Wal::open(options, clock, log);
  if (!wal) {
    std::cerr << "spillway upgrade: " << wal.status().message() << "\n";
    bool unreachable = wal.status().code() == Status::Code::kUnavailable ||
                       wal.status().code() == Status::Code::kNotFound;
    return unreachable ? kExitUnreachable : kExitServerError;
  }
  (*wal)->close();
  std::cout << options.dir << ": format is current\n";
  return kExitOk;
}

}  // namespace spillway::app
