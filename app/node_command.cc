// `spillway node status|drain|undrain`: scale-down of one node (docs/cluster.md).
#include <chrono>
#include <iostream>
#include <thread>

#include "app/client_command.h"
#include "app/commands.h"

namespace spillway::app {
namespace {

constexpr const char* kUsage =
    "usage: spillway node status|drain|undrain [--wait SECONDS] [--url URL] [--data DIR]\n"
    "status:  the node's id and state: serving, draining or drained\n"
    "drain:   stop taking events (/readyz and ingest answer 503 draining, so the load\n"
    "         balancer sends them to other nodes) and keep delivering; with --wait, poll\n"
    "         until the node reports drained (exit 1 if it has not after SECONDS)\n"
    "undrain: cancel a drain: the node takes events again\n";

void print_state(const nlohmann::json& b) {
  std::cout << "node " << b.value("node", "") << ": " << b.value("state", "") << " (queued "
            << b.value("depth", 0ULL) << ", dead letters " << b.value("dead_letters", 0ULL)
            << ", deliveries in flight " << b.value("deliveries_in_flight", 0ULL) << ")\n";
}

// Polls GET /v1/node once a second until drained or `seconds` pass.
int wait_drained(AdminClient& client, uint64_t seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (true) {
    ApiReply reply = client.call("GET", "/v1/node");
    if (reply.exit != kExitOk) return report_failure("node drain", reply);
    if (reply.body.value("state", "") == "drained") {
      print_state(reply.body);
      return kExitOk;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      print_state(reply.body);
      std::cerr << "spillway node drain: not drained after " << seconds << " s\n";
      return kExitServerError;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

int run(AdminClient& client, const CliArgs& a) {
  const std::string& verb = a.positional[0];
  uint64_t wait = 0;
  if (auto w = a.option("wait")) {
    if (!parse_count("node", "wait", *w, wait)) return kExitUsage;
  }
  ApiReply reply = verb == "status"  ? client.call("GET", "/v1/node")
                   : verb == "drain" ? client.call("POST", "/v1/node/drain")
                                     : client.call("DELETE", "/v1/node/drain");
  if (reply.exit != kExitOk) return report_failure("node " + verb, reply);
  if (verb == "drain" && wait > 0) return wait_drained(client, wait);
  print_state(reply.body);
  return kExitOk;
}

}  // namespace

int node_main(const std::vector<std::string>& args) {
  std::string verb = args.empty() ? "" : args[0];
  ClientCommand cmd{"node", std::string(kUsage) + kClientOptionsHelp, {"wait"}, {}, 1, 1};
  if (verb != "status" && verb != "drain" && verb != "undrain") {
    bool help = verb == "--help" || verb == "-h";
    (help ? std::cout : std::cerr) << cmd.usage;
    return help ? kExitOk : kExitUsage;
  }
  return run_client_command(cmd, args, run);
}

}  // namespace spillway::app
