// `spillway accounts create NAME` / `spillway accounts list`.
#include <cstdio>
#include <iostream>

#include "app/accounts_file.h"
#include "app/cli_args.h"
#include "app/client_command.h"
#include "app/commands.h"
#include "app/status_table.h"
#include "ingest/new_credentials.h"

namespace spillway::app {
namespace {

constexpr const char* kUsage =
    "usage: spillway accounts create NAME [--weight N] [--url URL] [--data DIR]\n"
    "       spillway accounts list [--url URL] [--data DIR]\n"
    "       spillway accounts new NAME [--weight N]\n"
    "create: makes an account and prints its credentials (write_key for Segment clients,\n"
    "        site_id and api_key for Track API clients). They are shown only once.\n"
    "list:   every account with its backlog, dead letters, weight and pause state.\n"
    "new:    offline, for --accounts-file: prints new credentials once, then the file entry\n"
    "        holding only their SHA-256 digests (add it to the file on every node, SIGHUP).\n";

int create(AdminClient& client, const CliArgs& a) {
  nlohmann::json body = {{"name", a.positional[1]}};
  if (auto w = a.option("weight")) {
    uint64_t weight = 0;
    if (!parse_count("accounts create", "weight", *w, weight)) return kExitUsage;
    body["weight"] = weight;
  }
  ApiReply reply = client.call("POST", "/v1/admin/accounts", body);
  if (reply.exit != kExitOk) return report_failure("accounts create", reply);
  const auto& b = reply.body;
  std::cout << "account   " << b.value("account", "") << " (id " << b.value("id", 0) << ")\n"
            << "write_key " << b.value("write_key", "") << "\n"
            << "site_id   " << b.value("site_id", "") << "\n"
            << "api_key   " << b.value("api_key", "") << "\n"
            << "(store these now: the server keeps only their hashes)\n";
  return kExitOk;
}

int list(AdminClient& client) {
  ApiReply reply = client.call("GET", "/v1/accounts");
  if (reply.exit != kExitOk) return report_failure("accounts list", reply);
  std::printf("%-24s %8s %14s %10s %6s %s\n", "ACCOUNT", "ID", "DEPTH", "DEAD", "WEIGHT", "PAUSED");
  for (const auto& r : reply.body.value("accounts", nlohmann::json::array())) {
    std::printf("%-24s %8llu %14s %10s %6llu %s\n", r.value("name", "").c_str(),
                static_cast<unsigned long long>(r.value("id", 0ULL)),
                format_count(r.value("depth", 0ULL)).c_str(),
                format_count(r.value("dead_letters", 0ULL)).c_str(),
                static_cast<unsigned long long>(r.value("weight", 0ULL)),
                r.value("paused", false) ? "yes" : "no");
  }
  return kExitOk;
}

// `accounts new`: no server involved; the secrets leave this process only on stdout.
int new_entry(const std::vector<std::string>& args) {
  auto a = parse_cli_args(args, {"weight"});
  if (!a || a->help || a->positional.size() != 2) {
    bool help = a && a->help;
    (help ? std::cout : std::cerr) << kUsage;
    return help ? kExitOk : kExitUsage;
  }
  uint64_t weight = 1;
  if (auto w = a->option("weight")) {
    if (!parse_count("accounts new", "weight", *w, weight)) return kExitUsage;
  }
  if (weight < 1 || weight > 1000) {
    std::cerr << "spillway accounts new: --weight must be 1..1000\n";
    return kExitUsage;
  }
  ingest::NewCredentials c = ingest::new_credentials();
  std::string entry = accounts_file_entry(a->positional[1], static_cast<uint32_t>(weight),
                                          c.write_key, c.site_id + ":" + c.api_key);
  if (!parse_accounts_file(R"({"version":1,"accounts":[)" + entry + "]}")) {
    std::cerr << "spillway accounts new: NAME must be 1..128 of [A-Za-z0-9._-]\n";
    return kExitUsage;
  }
  std::cout << "account   " << a->positional[1] << "\n"
            << "write_key " << c.write_key << "\n"
            << "site_id   " << c.site_id << "\n"
            << "api_key   " << c.api_key << "\n"
            << "(store these now: they are printed only once)\n"
            << "accounts file entry (add to \"accounts\" on every node, then SIGHUP):\n"
            << entry << "\n";
  return kExitOk;
}

}  // namespace

int accounts_main(const std::vector<std::string>& args) {
  std::string sub = args.empty() ? "" : args[0];
  if (sub == "new") return new_entry(args);
  for (const auto& arg : args) {
    if (sub == "create" && arg.rfind("--nodes", 0) == 0) {
      // Each node would mint different keys: a cluster's accounts come from --accounts-file.
      std::cerr << "spillway accounts create: not with --nodes; for a cluster use "
                   "`spillway accounts new NAME` and --accounts-file (docs/cluster.md)\n";
      return kExitUsage;
    }
  }
  bool is_create = sub == "create";
  ClientCommand cmd{"accounts " + sub,   std::string(kUsage) + kClientOptionsHelp,
                    {"weight"},          {},
                    is_create ? 2u : 1u, is_create ? 2u : 1u};
  if (sub != "create" && sub != "list") {
    bool help = sub == "--help" || sub == "-h";
    (help ? std::cout : std::cerr) << cmd.usage;
    return help ? kExitOk : kExitUsage;
  }
  return run_client_command(cmd, args, [is_create](AdminClient& client, const CliArgs& a) {
    return is_create ? create(client, a) : list(client);
  });
}

}  // namespace spillway::app
