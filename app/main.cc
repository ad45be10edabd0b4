// spillway: a durable event ingestion queue. main() only dispatches subcommands; each one
// lives in its own file under app/.
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "app/serve.h"

namespace {

constexpr std::string_view kUsage =
    "usage: spillway <command> [options]\n"
    "commands:\n"
    "  serve      run the HTTP ingest server (spillway serve --help)\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  std::string_view command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (command == "serve") return spillway::app::serve_main(args);
    if (command == "bench-noop-server") return spillway::app::bench_noop_main(args);
    if (command == "--help" || command == "help" || command == "-h") {
      std::cout << kUsage;
      return 0;
    }
  } catch (const std::exception& e) {
    // Exceptions are allowed only in startup (HOUSE_STYLE §4); they end the process non-zero.
    std::cerr << "spillway: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "spillway: unknown command \"" << command << "\"\n" << kUsage;
  return 2;
}
