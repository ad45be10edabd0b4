// `spillway status`.
#include <iostream>

#include "app/client_command.h"
#include "app/cluster_backlog.h"
#include "app/commands.h"
#include "app/status_table.h"

namespace spillway::app {
namespace {

std::string backlog_path(const CliArgs& a) {
  return "/v1/backlog?top=" + a.option("top").value_or("20") +
         "&sort=" + a.option("sort").value_or("depth");
}

// `status --nodes`: one table over the cluster; --json prints {"nodes":[{"url","backlog"}]}.
int status_across(const std::vector<std::string>& urls, const std::string& token,
                  const CliArgs& a) {
  std::vector<NodeReport> answers;
  std::vector<std::string> failed;
  int first_failure = kExitOk;
  for (const auto& url : urls) {
    AdminClient client(url, token, std::chrono::seconds(10));
    ApiReply reply = client.call("GET", backlog_path(a));
    answers.push_back(
        {url, reply.exit == kExitOk ? reply.body : nlohmann::json(), nullptr, reply.error});
    if (reply.exit == kExitOk) continue;
    failed.push_back(url);
    if (first_failure == kExitOk) first_failure = reply.exit;
  }
  if (a.option("json")) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& n : answers) out.push_back({{"url", n.url}, {"backlog", n.backlog}});
    std::cout << nlohmann::json{{"nodes", out}}.dump(2) << "\n";
  } else {
    uint64_t top = 20;
    if (auto t = a.option("top"); t && !parse_count("status", "top", *t, top)) return kExitUsage;
    std::cout << format_cluster_status(cluster_backlog_json(answers, top), top);
  }
  return report_nodes("status", failed, first_failure);
}

}  // namespace

int status_main(const std::vector<std::string>& args) {
  ClientCommand cmd{"status",
                    std::string("usage: spillway status [--top N] [--sort depth|age|eta] [--json]"
                                " [--url URL] [--data DIR]\n"
                                "Shows the drain state, backlog totals and the accounts behind "
                                "(GET /v1/backlog).\n"
                                "  --top N      accounts to list (default 20)\n"
                                "  --sort KEY   depth (default), age or eta\n"
                                "  --json       print the API's JSON instead of the table\n"
                                "  --nodes      one table for the cluster: per node, totals and\n"
                                "               the accounts behind summed across nodes\n") +
                        kClientOptionsHelp,
                    {"top", "sort"},
                    {"json"},
                    0,
                    0};
  return run_client_command(
      cmd, args,
      [](AdminClient& client, const CliArgs& a) {
        bool json_out = a.option("json").has_value();
        ApiReply reply = client.call("GET", backlog_path(a));
        if (reply.exit != kExitOk) return report_failure("status", reply);
        std::cout << (json_out ? reply.body.dump(2) + "\n" : format_status(reply.body));
        return static_cast<int>(kExitOk);
      },
      status_across);
}

}  // namespace spillway::app
