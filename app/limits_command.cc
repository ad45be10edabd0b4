// `spillway limits [--rate N] [--concurrency N]`.
#include <iostream>

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

}  // namespace

int limits_main(const std::vector<std::string>& args) {
  ClientCommand cmd{"limits",
                    std::string("usage: spillway limits [--rate N] [--concurrency N] [--url URL] "
                                "[--data DIR]\n"
                                "Shows the drain limits, or changes them (durable). Cap the rate "
                                "while a downstream datastore heals.\n"
                                "  --rate N         events/s cap for all draining; 0 removes it\n"
                                "  --concurrency N  ceiling of requests in flight (1..4096)\n") +
                        kClientOptionsHelp,
                    {"rate", "concurrency"},
                    {},
                    0,
                    0};
  return run_client_command(cmd, args, [](AdminClient& client, const CliArgs& a) {
    ApiReply now = client.call("GET", "/v1/backlog?top=1");
    if (now.exit != kExitOk) return report_failure("limits", now);
    nlohmann::json drain = now.body.value("drain", nlohmann::json::object());
    auto rate_text = a.option("rate");
    auto conc_text = a.option("concurrency");
    if (!rate_text && !conc_text) {
      print_limits(drain);
      return static_cast<int>(kExitOk);
    }
    uint64_t rate = static_cast<uint64_t>(drain.value("max_events_per_sec", 0.0));
    uint64_t conc = drain.value("max_concurrency", 1ULL);
    if ((rate_text && !parse_count("limits", "rate", *rate_text, rate)) ||
        (conc_text && !parse_count("limits", "concurrency", *conc_text, conc))) {
      return static_cast<int>(kExitUsage);
    }
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
