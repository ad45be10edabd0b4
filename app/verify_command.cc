// `spillway verify DATA_DIR`.
#include <iostream>

#include "app/cli_args.h"
#include "app/commands.h"
#include "app/exit_codes.h"
#include "app/store_summary.h"

namespace spillway::app {
namespace {

constexpr const char* kUsage =
    "usage: spillway verify DATA_DIR\n"
    "Offline integrity check: opens the store read-only (refused while a server runs on it),\n"
    "walks every event and dead letter checking CRC32C, per-account counters against the\n"
    "scan, seqs, names, credentials and dedupe entries, and prints a summary.\n"
    "exit codes: 0 intact, 1 damage found, 2 usage, 3 the store cannot be opened (a server\n"
    "holds it, it does not exist or LMDB cannot read it)\n";

}  // namespace

int verify_main(const std::vector<std::string>& args) {
  auto parsed = parse_cli_args(args, {});
  if (parsed && parsed->help) {
    std::cout << kUsage;
    return kExitOk;
  }
  if (!parsed || parsed->positional.size() != 1) {
    std::cerr << "spillway verify: "
              << (parsed ? "expected one DATA_DIR" : parsed.status().message()) << "\n"
              << kUsage;
    return kExitUsage;
  }
  const std::string& dir = parsed->positional[0];
  auto report = check_store_dir(dir);
  if (!report) {
    std::cerr << "spillway verify: " << report.status().message() << "\n";
    if (report.status().code() == Status::Code::kUnavailable) {
      std::cerr << "(stop the server first, or take a hot copy with `spillway backup` and "
                   "verify that)\n";
    }
    return kExitUnreachable;
  }
  std::cout << format_report(dir, *report);
  return report->ok() ? kExitOk : kExitServerError;
}

}  // namespace spillway::app
