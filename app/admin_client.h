#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "app/exit_codes.h"

namespace httplib {
class Client;
}

namespace spillway::app {

// The outcome of one admin API call, already mapped to the CLI's exit code. Copyable.
struct ApiReply {
  ExitCode exit = kExitOk;
  int http_status = 0;  // 0 when no response arrived
  nlohmann::json body;  // parsed JSON body (null when none or not JSON)
  std::string error;    // a sentence for stderr when exit != kExitOk
};

// A blocking HTTP client for the admin API of one server (cpp-httplib), used by the CLI
// subcommands and by a node asking its peers (ClusterPeers, never on an io thread). Sends
// `Authorization: Bearer TOKEN` when a token is set. One thread.
class AdminClient {
 public:
  // `url`: http://HOST:PORT. `timeout`: read timeout per call; connecting waits for the
  // shorter of it and 3 s.
  AdminClient(const std::string& url, std::string token,
              std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~AdminClient();
  AdminClient(const AdminClient&) = delete;
  AdminClient& operator=(const AdminClient&) = delete;

  // method: GET, POST, PUT or DELETE; `body` is sent as JSON when set. Maps: no response ->
  // kExitUnreachable, 401/403 -> kExitAuth, other non-2xx -> kExitServerError.
  ApiReply call(const std::string& method, const std::string& path,
                const std::optional<nlohmann::json>& body = std::nullopt);

 private:
  std::string url_;
  std::string token_;
  std::unique_ptr<httplib::Client> client_;
};

// Reports a failed reply on stderr as "spillway CMD: ERROR" (with a hint when no server
// answered) and returns its exit code.
int report_failure(const std::string& command, const ApiReply& reply);

// Percent-encodes one path segment (account names are [A-Za-z0-9._-], but be safe).
std::string path_segment(const std::string& text);

}  // namespace spillway::app
