#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "replay/downstream.h"
#include "replay/tls_client_context.h"

namespace spillway {
class Clock;
class Logger;
}  // namespace spillway

namespace spillway::replay {
namespace detail {
struct HttpCore;
}  // namespace detail

struct HttpDownstreamOptions {
  // Where to POST. `host` is a DNS name or an IP literal (IPv6 without brackets).
  std::string host;
  uint16_t port = 80;
  // Request target: path plus optional query, "/" by default.
  std::string target = "/";
  // Total per-attempt deadline covering resolve, connect, write and read, including one
  // silent reconnect when a pooled keep-alive connection turned out to be stale. Default 10 s.
  // Shorter fails over faster from a hung downstream; longer tolerates slow batch commits.
  std::chrono::milliseconds attempt_timeout{10'000};
  // Response body bound, 64 KiB. A larger body is not read further: the connection is closed
  // and the response is classified by its status alone (RELIABILITY_PLAN FM-35).
  size_t max_response_bytes = 64 * 1024;
  // Idle keep-alive connections kept for reuse, 8. More saves handshakes under high
  // concurrency; each costs one socket on both ends.
  size_t max_idle_connections = 8;
  // An idle pooled connection older than this is closed instead of reused, 30 s. Keep it
  // below the downstream's keep-alive timeout to avoid racing its close.
  std::chrono::milliseconds idle_timeout{30'000};
  std::string user_agent = "spillway/0.1";
  // https:// only: the CA file and client certificate (replay/tls_client_context.h), read once
  // at startup by the factory.
  SinkTlsFiles tls;
};

// The webhook sink: POSTs each batch as JSON (docs/sink.md) over Boost.Beast on the given
// executor. deliver() and stop() may be called from any thread, concurrently; each attempt
// runs on its connection's strand and completes there. Owned by app/; the clock and logger
// must outlive every handler on the executor. With a `tls` context (replay/tls_client_context.h)
// every connection is https: a handshake after connect, the certificate checked against the
// host; a handshake or verification failure is retryable like any connection error, so the
// events stay queued until the certificate is fixed. Classification:
// replay/response_classification.h.
class HttpDownstream final : public Downstream {
 public:
  HttpDownstream(boost::asio::any_io_executor executor, HttpDownstreamOptions options,
                 const Clock& clock, Logger& logger,
                 std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  ~HttpDownstream() override;
  HttpDownstream(const HttpDownstream&) = delete;
  HttpDownstream& operator=(const HttpDownstream&) = delete;

  // Sends one attempt. `done` runs exactly once, on the executor (or inline, as kRetryable,
  // after stop()). The attempt never outlives options.attempt_timeout.
  void deliver(std::shared_ptr<const DeliveryBatch> batch, Done done) override;
  // Refuses new deliveries, completes in-flight ones as kRetryable ("downstream stopped") and
  // closes pooled connections. Requires the executor to still run for the in-flight ones.
  void stop() override;

  // Idle connections in the pool (for tests and metrics).
  size_t idle_connections() const;

 private:
  std::shared_ptr<detail::HttpCore> core_;
  bool stopped_ = false;
};

}  // namespace spillway::replay
