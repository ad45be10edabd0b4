#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/logger.h"
#include "common/result.h"
#include "ingest/ingest_options.h"

namespace boost::asio {
class io_context;
}

namespace spillway::ingest {

class Router;
namespace detail {
struct ServerShared;
class Listener;
}  // namespace detail

// HTTP/1.1 server on Boost.Beast: one acceptor and one session per connection, each on its
// own strand of the shared io_context (run by any number of threads); no thread per
// connection. Per connection: a deadline for the header (header_timeout once the first byte
// arrived), for the body, for each write, and for idle keep-alive; header limit -> 431,
// body limit -> 400 too_large; requests are read one at a time (pipelined requests wait in
// the buffer), and every early rejection closes the connection so an unread body can never be
// taken for a request (FM-26). Handlers answer asynchronously through a Responder.
// Lifecycle: construct -> start() -> stop_accepting() -> (in_flight() reaches 0) ->
// close_all() -> destroy. Borrows the io_context, router and logger; thread-safe.
class HttpServer {
 public:
  HttpServer(boost::asio::io_context& ioc, const Router& router, const IngestOptions& options,
             Logger& logger);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port and starts accepting; returns the bound port (port 0 picks a free one).
  // Errors: kInvalidArgument for a bad address, kUnavailable when the bind fails.
  Result<uint16_t> start(const std::string& host, uint16_t port);
  // Stops accepting and closes idle connections; requests in flight are still answered (with
  // Connection: close).
  void stop_accepting();
  // Closes every connection now; unanswered requests lose their response.
  void close_all();
  // Requests handed to the router whose response has not been written yet.
  uint64_t in_flight() const;
  uint64_t connections() const;

 private:
  boost::asio::io_context& ioc_;
  std::shared_ptr<detail::ServerShared> shared_;
  std::shared_ptr<detail::Listener> listener_;
};

}  // namespace spillway::ingest
