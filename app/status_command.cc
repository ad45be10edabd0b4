// `spillway status`.
#include <iostream>

#include "app/client_command.h"
#include "app/commands.h"
#include "app/status_table.h"

namespace spillway::app {

int status_main(const std::vector<std::string>& args) {
  ClientCommand cmd{"status",
                    std::string("usage: spillway status [--top N] [--sort depth|age|eta] [--json]"
                                " [--url URL] [--data DIR]\n"
                                "Shows the drain state, backlog totals and the accounts behind "
                                "(GET /v1/backlog).\n"
                                "  --top N      accounts to list (default 20)\n"
                                "  --sort KEY   depth (default), age or eta\n"
                                "  --json       print the API's JSON instead of the table\n") +
                        kClientOptionsHelp,
                    {"top", "sort"},
                    {"json"},
                    0,
                    0};
  return run_client_command(cmd, args, [](AdminClient& client, const CliArgs& a) {
    bool json_out = a.option("json").has_value();
    std::string path = "/v1/backlog?top=" + a.option("top").value_or("20") +
                       "&sort=" + a.option("sort").value_or("depth");
    ApiReply reply = client.call("GET", path);
    if (reply.exit != kExitOk) return report_failure("status", reply);
    std::cout << (json_out ? reply.body.dump(2) + "\n" : format_status(reply.body));
    return static_cast<int>(kExitOk);
  });
}

}  // namespace spillway::app
