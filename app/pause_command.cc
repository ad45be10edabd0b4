// `spillway pause|resume [ACCOUNT]`.
#include <iostream>

#include "app/client_command.h"
#include "app/commands.h"

namespace spillway::app {

int pause_main(const std::vector<std::string>& args, bool pause) {
  std::string verb = pause ? "pause" : "resume";
  ClientCommand cmd{verb,
                    "usage: spillway " + verb + " [ACCOUNT] [--url URL] [--data DIR]\n" +
                        (pause ? "Pauses all draining, or one account's (events are still "
                                 "accepted and queued). Durable: survives restarts.\n"
                               : "Resumes all draining, or one account's.\n") +
                        kClientOptionsHelp,
                    {},
                    {},
                    0,
                    1};
  return run_client_command(cmd, args, [&](AdminClient& client, const CliArgs& a) {
    bool one = !a.positional.empty();
    std::string path =
        one ? "/v1/accounts/" + path_segment(a.positional[0]) + "/" + verb : "/v1/drain/" + verb;
    ApiReply reply = client.call("POST", path);
    if (reply.exit != kExitOk) return report_failure(verb, reply);
    std::cout << (one ? "account " + a.positional[0] : std::string("draining")) << " "
              << (pause ? "paused" : "resumed") << "\n";
    return static_cast<int>(kExitOk);
  });
}

}  // namespace spillway::app
