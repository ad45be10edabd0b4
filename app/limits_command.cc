// `spillway limits [--rate N | --nodes ... --cluster-rate R] [--concurrency N]`.
#include <iostream>
#include <optional>

#include "app/client_command.h"
#include "app/commands.h"

namespace spillway::app {
namespace {

void print_limits(const nlohmann::json& drain) {
  double rate = drain.value("max_events_per_sec", 0.0);
  std::cout << "rate cap:        "
            << (rate > 0 ? std::to_string(static_cast<uint64_t>(rate)) + " events/s"
                         : std::string("none"))
            << "\nmax concurrency: " << drain.value("max_concurrency", 0ULL)
            << " (current adaptive limit " << drain.value("concurrency_limit", 0ULL) << ")\n";
}

// The rate to set: --rate N, or --cluster-rate R split evenly over the --nodes (R / nodes,
// at least 1 when R > 0; each node enforces its share alone). nullopt: neither given.
// kInvalidArgument (already reported on stderr) for a bad value or combination.
Result<std::optional<uint64_t>> wanted_rate(const CliArgs& a) {
  auto rate_text = a.option("rate");
  auto cluster_text = a.option("cluster-rate");
  if (!rate_text && !cluster_text) return std::optional<uint64_t>();
  uint64_t rate = 0;
  if (rate_text && cluster_text) {
    std::cerr << "spillway limits: --rate and --cluster-rate exclude each other\n";
    return Status::invalid_argument("usage");
  }
  if (!parse_count("limits", rate_text ? "rate" : "cluster-rate",
                   rate_text ? *rate_text : *cluster_text, rate))
    return Status::invalid_argument("usage");
  if (!cluster_text) return std::optional<uint64_t>(rate);
  auto nodes = split_nodes(a.option("nodes").value_or(""));
  if (nodes.empty()) {
    std::cerr << "spillway limits: --cluster-rate needs --nodes\n";
    return Status::invalid_argument("usage");
  }
  uint64_t share = rate / nodes.size();
  return std::optional<uint64_t>(rate > 0 && share == 0 ? 1 : share);
}

}  // namespace

int limits_main(const std::vector<std::string>& args) {
  ClientCommand cmd{"limits",
                    std::string("usage: spillway limits [--rate N] [--concurrency N] [--url URL] "
                                "[--data DIR]\n"
                                "Shows the drain limits, or changes them (durable). Cap the rate "
                                "while a downstream datastore heals.\n"
                                "  --rate N         events/s cap for all draining; 0 removes it\n"
                                "  --cluster-rate R with --nodes: a cap of R events/s for the\n"
                                "                   cluster, R / nodes on each node\n"
                                "  --concurrency N  ceiling of requests in flight (1..4096)\n") +
                        kClientOptionsHelp,
                    {"rate", "cluster-rate", "concurrency"},
                    {},
                    0,
                    0};
  return run_client_command(cmd, args, [](AdminClient& client, const CliArgs& a) {
    ApiReply now = client.call("GET", "/v1/backlog?top=1");
    if (now.exit != kExitOk) return report_failure("limits", now);
    nlohmann::json drain = now.body.value("drain", nlohmann::json::object());
    auto wanted = wanted_rate(a);
    auto conc_text = a.option("concurrency");
    if (!wanted) return static_cast<int>(kExitUsage);
    if (!*wanted && !conc_text) {
      print_limits(drain);
      return static_cast<int>(kExitOk);
    }
    uint64_t rate = wanted->value_or(static_cast<uint64_t>(drain.value("max_events_per_sec", 0.0)));
    uint64_t conc = drain.value("max_concurrency", 1ULL);
    if (conc_text && !parse_count("limits", "concurrency", *conc_text, conc))
      return static_cast<int>(kExitUsage);
    ApiReply set =
        client.call("PUT", "/v1/drain/limits",
                    nlohmann::json{{"max_events_per_sec", rate}, {"max_concurrency", conc}});
    if (set.exit != kExitOk) return report_failure("limits", set);
    drain["max_events_per_sec"] = rate;
    drain["max_concurrency"] = conc;
    print_limits(drain);
    return static_cast<int>(kExitOk);
  });
}

}  // namespace spillway::app
