// `spillway replay --from T --to T [--account A,B] [--type T,U] [--event E,F] [--dry-run]`,
// `spillway replay list`, `spillway replay cancel ID`.
#include <iostream>

#include "app/client_command.h"
#include "app/commands.h"

namespace spillway::app {
namespace {

constexpr const char* kUsage =
    "usage: spillway replay --from RFC3339 --to RFC3339 [--account NAME,...] [--type T,...]\n"
    "                       [--event NAME,...] [--dry-run] [--url URL] [--data DIR]\n"
    "       spillway replay list | spillway replay cancel ID\n"
    "Re-delivers the retained events delivered between --from and --to (needs the server to run\n"
    "with --retain-delivered-s; docs/operations.md, \"The datastore lost data: replay\").\n"
    "  --dry-run   print what would be replayed per account and the ETA; enqueue nothing\n";

void print_job(const nlohmann::json& j) {
  std::cout << "replay " << j.value("id", 0ULL) << "  " << j.value("state", "") << "  "
            << j.value("from", "") << " .. " << j.value("to", "") << "  matched "
            << j.value("matched", 0ULL) << "  enqueued " << j.value("enqueued", 0ULL)
            << "  delivered " << j.value("delivered", 0ULL) << "  dropped "
            << j.value("dropped", 0ULL) << "\n";
}

int list(AdminClient& client) {
  ApiReply r = client.call("GET", "/v1/replays");
  if (r.exit != kExitOk) return report_failure("replay", r);
  for (const auto& j : r.body.value("replays", nlohmann::json::array())) print_job(j);
  return kExitOk;
}

int cancel(AdminClient& client, const std::string& id) {
  ApiReply r = client.call("DELETE", "/v1/replays/" + path_segment(id));
  if (r.exit != kExitOk) return report_failure("replay", r);
  print_job(r.body);
  return kExitOk;
}

int start(AdminClient& client, const CliArgs& a) {
  auto from = a.option("from"), to = a.option("to");
  if (!from || !to) {
    std::cerr << "spillway replay: --from and --to are required\n" << kUsage;
    return kExitUsage;
  }
  nlohmann::json body = {{"from", *from}, {"to", *to}};
  for (const char* key : {"account", "type", "event"}) {
    auto values = split_nodes(a.option(key).value_or(""));  // comma-separated lists
    if (!values.empty()) body[std::string(key) + "s"] = values;
  }
  bool dry = a.options.contains("dry-run");
  ApiReply r = client.call("POST", dry ? "/v1/replays?dry_run=1" : "/v1/replays", body);
  if (r.exit != kExitOk) return report_failure("replay", r);
  if (!dry) {
    print_job(r.body);
    return kExitOk;
  }
  for (const auto& acc : r.body.value("accounts", nlohmann::json::array())) {
    std::cout << acc.value("account", "") << "  " << acc.value("events", 0ULL) << " events\n";
  }
  std::cout << "total " << r.body.value("matched", 0ULL) << " events, eta "
            << (r.body["eta_s"].is_number()
                    ? std::to_string(static_cast<int64_t>(r.body["eta_s"].get<double>() + 0.5)) +
                          " s"
                    : std::string("unknown (nothing draining)"))
            << "\n";
  return kExitOk;
}

}  // namespace

int replay_main(const std::vector<std::string>& args) {
  ClientCommand cmd{"replay",
                    std::string(kUsage) + kClientOptionsHelp,
                    {"from", "to", "account", "type", "event"},
                    {"dry-run"},
                    0,
                    2};
  return run_client_command(cmd, args, [](AdminClient& client, const CliArgs& a) {
    const auto& words = a.positional;
    if (words.size() == 1 && words[0] == "list") return list(client);
    if (words.size() == 2 && words[0] == "cancel") return cancel(client, words[1]);
    if (!words.empty()) {
      std::cerr << "spillway replay: unknown words\n" << kUsage;
      return static_cast<int>(kExitUsage);
    }
    return start(client, a);
  });
}

}  // namespace spillway::app
