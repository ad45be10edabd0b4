// `spillway dead list|replay|purge ACCOUNT`.
#include <iostream>

#include "app/client_command.h"
#include "app/commands.h"

namespace spillway::app {
namespace {

constexpr const char* kUsage =
    "usage: spillway dead list ACCOUNT [--limit N]      dead letters, oldest first (JSON lines)\n"
    "       spillway dead replay ACCOUNT [--limit N]    requeue them at their original seqs\n"
    "       spillway dead purge ACCOUNT --yes [--limit N]  delete them for good\n"
    "  --limit N    at most N dead letters (list: default 100; replay/purge: the server's\n"
    "               per-request bound, 1000 by default; run again for more)\n";

int list(AdminClient& client, const std::string& base, const std::string& query) {
  ApiReply reply = client.call("GET", base + query);
  if (reply.exit != kExitOk) return report_failure("dead list", reply);
  std::cerr << "account " << reply.body.value("account", "") << ": "
            << reply.body.value("total", 0ULL) << " dead letters\n";
  for (const auto& d : reply.body.value("dead_letters", nlohmann::json::array())) {
    std::cout << d.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  return kExitOk;
}

int move(AdminClient& client, const std::string& verb, const std::string& base,
         const std::string& query) {
  bool replay = verb == "replay";
  ApiReply reply =
      replay ? client.call("POST", base + "/replay" + query) : client.call("DELETE", base + query);
  if (reply.exit != kExitOk) return report_failure("dead " + verb, reply);
  std::cout << (replay ? "requeued " : "purged ")
            << reply.body.value(replay ? "requeued" : "purged", 0ULL) << " dead letters of "
            << reply.body.value("account", "") << "\n";
  return kExitOk;
}

}  // namespace

int dead_main(const std::vector<std::string>& args) {
  std::string verb = args.empty() ? "" : args[0];
  ClientCommand cmd{
      "dead " + verb, std::string(kUsage) + kClientOptionsHelp, {"limit"}, {"yes"}, 2, 2};
  if (verb != "list" && verb != "replay" && verb != "purge") {
    bool help = verb == "--help" || verb == "-h";
    (help ? std::cout : std::cerr) << cmd.usage;
    return help ? kExitOk : kExitUsage;
  }
  return run_client_command(cmd, args, [&verb](AdminClient& client, const CliArgs& a) {
    if (verb == "purge" && !a.option("yes")) {
      std::cerr << "spillway dead purge: deletes dead letters for good; add --yes to confirm\n";
      return static_cast<int>(kExitUsage);
    }
    std::string base = "/v1/accounts/" + path_segment(a.positional[1]) + "/dead";
    std::string query;
    if (auto limit = a.option("limit")) {
      uint64_t n = 0;
      if (!parse_count("dead " + verb, "limit", *limit, n)) return static_cast<int>(kExitUsage);
      query = "?limit=" + std::to_string(n);
    }
    return verb == "list" ? list(client, base, query) : move(client, verb, base, query);
  });
}

}  // namespace spillway::app
