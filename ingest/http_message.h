#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spillway::ingest {

// A received HTTP request, independent of Boost.Beast so routes and their tests never include
// it. Header names are lower case. Copyable value type.
struct HttpRequest {
  std::string method;  // "POST"
  std::string path;    // "/v1/track" (without the query)
  std::string query;   // "top=10" (without '?')
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote;  // peer address of the socket, never a header
  // Path parameters filled by the router, e.g. {"id", "42"} (percent-decoded).
  std::vector<std::pair<std::string, std::string>> params;

  // First header with that (lower-case) name.
  std::optional<std::string_view> header(std::string_view name) const;
  // Number of headers with that name.
  size_t header_count(std::string_view name) const;
  std::optional<std::string_view> param(std::string_view name) const;
};

// A response to send. Copyable value type.
struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;  // close the connection after sending
  // The machine-readable code of an error response ("invalid_json"); empty otherwise. Not
  // sent: it feeds the rejection metrics.
  std::string error_code;
};

// Sends the response of one request exactly once, from any thread: the server posts it back
// to the connection's strand. Copies share one state (so it can ride in std::function);
// when the last copy dies without a response, a 500 is sent so no request hangs.
class Responder {
 public:
  using Send = std::function<void(HttpResponse)>;
  explicit Responder(Send send);
  // Later calls after the first are ignored.
  void operator()(HttpResponse response) const;
  bool sent() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// Async handler: answers through the responder, now or later from another thread. Must not
// throw (the router catches and answers 500 if it does).
using Handler = std::function<void(HttpRequest, Responder)>;

}  // namespace spillway::ingest
