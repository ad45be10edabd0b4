#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "app/admin_client.h"
#include "app/cli_args.h"

namespace spillway::app {

// The shared frame of the API subcommands: parses `args` (adding --url and --data to
// `options`), prints `usage` for --help (exit 0) or a usage error (exit 2), resolves the admin
// token (exit 4 when there is none), then runs `body` with a client for --url.
// `positional` is the exact number of positional words the command takes (a range).
struct ClientCommand {
  std::string name;   // "pause", "dead list", ...
  std::string usage;  // full --help text
  std::set<std::string> options;
  std::set<std::string> flags;  // value-less options ("--json")
  size_t min_positional = 0;
  size_t max_positional = 0;
};

// `--nodes URL,URL,...` (one view of a cluster): `across`, when set, runs once with every URL;
// otherwise the body runs once per node under a "== URL" line. Either way the exit code is
// non-zero, naming the nodes, when any node failed.
using AcrossNodes = std::function<int(const std::vector<std::string>& urls,
                                      const std::string& token, const CliArgs& args)>;
int run_client_command(const ClientCommand& command, const std::vector<std::string>& args,
                       const std::function<int(AdminClient&, const CliArgs&)>& body,
                       const AcrossNodes& across = {});

// Splits a --nodes list on commas, dropping empty entries and trailing slashes.
std::vector<std::string> split_nodes(const std::string& list);
// Reports the nodes that failed (stderr) and returns the first failure's exit code, or 0.
int report_nodes(const std::string& command, const std::vector<std::string>& failed,
                 int first_failure);

// Parses a non-negative integer option; false (after a message on stderr) when malformed.
bool parse_count(const std::string& command, const std::string& key, const std::string& text,
                 uint64_t& out);

// The common option lines of every client command's --help.
inline constexpr const char* kClientOptionsHelp =
    "  --url URL    server address (default http://127.0.0.1:8080)\n"
    "  --nodes URL,URL,...  run on every node of a cluster (docs/cluster.md)\n"
    "  --data DIR   data directory holding admin.token (default ./spillway-data); the token\n"
    "               comes from $SPILLWAY_ADMIN_TOKEN first\n"
    "exit codes: 0 ok, 1 server-side error, 2 usage, 3 server unreachable, 4 no or wrong token\n";

}  // namespace spillway::app
