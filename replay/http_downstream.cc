#include "replay/http_downstream.h"

#include <openssl/err.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <tuple>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/assert.h"
#include "common/clock.h"
#include "common/logger.h"
#include "replay/delivery_json.h"
#include "replay/response_classification.h"

namespace spillway::replay {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using SteadyTime = std::chrono::steady_clock::time_point;

namespace detail {

// One attempt of one batch. Touched only on its connection's strand once spawned.
struct HttpCall {
  std::shared_ptr<const DeliveryBatch> batch;
  Downstream::Done done;
  http::request<http::string_body> request;
  SteadyTime start;
  const char* phase = "start";
  bool finished = false;  // `done` has run; nothing may complete this call again
};

// A connection and its strand. Every field is touched on `strand` only, except
// `idle_since`, which the pool reads under HttpCore::mu while the connection is idle.
struct HttpConnection {
  explicit HttpConnection(const asio::any_io_executor& ex)
      : strand(asio::make_strand(ex)), plain(strand), resolver(strand), deadline(strand) {}
  // The TCP socket: the TLS stream's lower layer for https://, else `plain`.
  tcp::socket& socket() { return tls ? tls->next_layer() : plain; }
  asio::strand<asio::any_io_executor> strand;
  tcp::socket plain;
  // https:// only; made anew for every TCP connection, since a TLS session's state cannot
  // outlive its socket.
  std::unique_ptr<asio::ssl::stream<tcp::socket>> tls;
  tcp::resolver resolver;
  asio::steady_timer deadline;
  beast::flat_buffer buffer;
  std::shared_ptr<HttpCall> call;  // the attempt in progress, for stop()
  SteadyTime idle_since;
  bool served = false;  // completed a response: a later silent failure may be a stale keep-alive
};

// State shared by the sink and its in-flight coroutines, which may outlive the sink object.
struct HttpCore {
  HttpCore(asio::any_io_executor ex, HttpDownstreamOptions opts,
           std::shared_ptr<asio::ssl::context> tls_context, const Clock& c, Logger& l)
      : executor(std::move(ex)),
        options(std::move(opts)),
        tls(std::move(tls_context)),
        clock(c),
        logger(l) {}
  asio::any_io_executor executor;
  HttpDownstreamOptions options;
  std::shared_ptr<asio::ssl::context> tls;  // null for http://
  std::string host_header;
  std::string port_text;
  const Clock& clock;
  Logger& logger;
  LogThrottle failure_log{std::chrono::seconds(10)};
  std::atomic<bool> stopped{false};
  mutable std::mutex mu;
  // Guarded by mu.
  std::vector<std::shared_ptr<HttpConnection>> idle;
  std::unordered_set<std::shared_ptr<HttpConnection>> busy;
};

}  // namespace detail

namespace {

using detail::HttpCall;
using detail::HttpConnection;
using detail::HttpCore;
using CorePtr = std::shared_ptr<HttpCore>;
using ConnPtr = std::shared_ptr<HttpConnection>;
using CallPtr = std::shared_ptr<HttpCall>;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kLogTag = "replay.http";

DeliveryResult retryable(std::string detail) {
  DeliveryResult r;
  r.kind = DeliveryResult::Kind::kRetryable;
  r.detail = std::move(detail);
  return r;
}

DeliveryResult transport_failure(const HttpCall& call, const beast::error_code& ec) {
  return retryable(std::string(call.phase) + ": " + ec.message());
}

void log_failure(HttpCore& core, const DeliveryResult& r) {
  if (r.kind == DeliveryResult::Kind::kAccepted) return;
  const uint64_t n = core.failure_log.allow(core.clock.steady());
  if (n == 0) return;
  core.logger.warn(kLogTag, "delivery failed",
                   {{"detail", r.detail}, {"status", r.http_status}, {"suppressed", n - 1}});
}

// Completes `call` once; later calls (deadline vs. coroutine vs. stop) are no-ops.
void finish(HttpCore& core, HttpCall& call, DeliveryResult result) {
  if (call.finished) return;
  call.finished = true;
  result.latency =
      std::chrono::duration_cast<std::chrono::milliseconds>(core.clock.steady() - call.start);
  log_failure(core, result);
  auto done = std::move(call.done);
  done(std::move(result));
}

void close_connection(HttpConnection& conn) {
  beast::error_code ignored;
  conn.resolver.cancel();
  conn.deadline.cancel();
  // No TLS close_notify: the connection is dropped between exchanges or on a failure, and
  // the body length, not the end of the stream, delimits every response.
  conn.socket().close(ignored);
}

// Takes an idle connection that is young enough, or a fresh one; nullptr after stop().
ConnPtr checkout(HttpCore& core) {
  std::lock_guard<std::mutex> lock(core.mu);
  if (core.stopped) return nullptr;
  const auto now = core.clock.steady();
  ConnPtr conn;
  while (!core.idle.empty() && !conn) {
    ConnPtr c = std::move(core.idle.back());
    core.idle.pop_back();
    if (now - c->idle_since < core.options.idle_timeout) {
      conn = std::move(c);
    } else {
      asio::post(c->strand, [c] { close_connection(*c); });
    }
  }
  if (!conn) conn = std::make_shared<HttpConnection>(core.executor);
  core.busy.insert(conn);
  return conn;
}

// Called on the connection's strand when its attempt is over.
void release(HttpCore& core, const ConnPtr& conn, bool reusable) {
  conn->call.reset();
  std::lock_guard<std::mutex> lock(core.mu);
  core.busy.erase(conn);
  if (reusable && !core.stopped && core.idle.size() < core.options.max_idle_connections) {
    conn->idle_since = core.clock.steady();
    core.idle.push_back(conn);
    return;
  }
  close_connection(*conn);
}

std::string header_safe(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7E) c = '_';
  return out;
}

http::request<http::string_body> make_request(const HttpCore& core, const DeliveryBatch& batch) {
  http::request<http::string_body> req{http::verb::post, core.options.target, 11};
  req.set(http::field::host, core.host_header);
  req.set(http::field::user_agent, core.options.user_agent);
  req.set(http::field::content_type, "application/json");
  req.set("Idempotency-Key", header_safe(batch.batch_id));
  req.keep_alive(true);
  req.body() = encode_batch_body(batch);
  req.prepare_payload();
  return req;
}

// Arms the total deadline. On expiry the call completes at once as a timeout, even when the
// coroutine is stuck in a resolve that cannot be cancelled; the coroutine then finds the
// call finished and drops the connection.
void arm_deadline(CorePtr core, const ConnPtr& conn, CallPtr call) {
  conn->deadline.expires_after(core->options.attempt_timeout);
  conn->deadline.async_wait([core, conn, call](beast::error_code ec) {
    if (ec || call->finished) return;
    finish(*core, *call,
           retryable("timeout after " + std::to_string(core->options.attempt_timeout.count()) +
                     " ms during " + call->phase));
    close_connection(*conn);
  });
}

struct Exchange {
  DeliveryResult result;
  bool reusable = false;
  bool stale = false;  // failed before any response byte on a connection that served before
};

Exchange classify(const HttpCore& core, const http::response<http::string_body>& res,
                  bool truncated) {
  HttpOutcome outcome;
  outcome.status = static_cast<int>(res.result_int());
  outcome.body = res.body();
  outcome.retry_after = res[http::field::retry_after];
  outcome.body_truncated = truncated;
  return Exchange{classify_response(outcome, core.clock.wall_ms()), !truncated && res.keep_alive()};
}

// Sets up a TLS stream for a new connection: SNI (not for IP literals, RFC 6066 §3) and the
// check that the certificate names the host of the URL.
beast::error_code prepare_tls(const HttpCore& core, HttpConnection& conn) {
  conn.tls = std::make_unique<asio::ssl::stream<tcp::socket>>(conn.strand, *core.tls);
  beast::error_code ec;
  const std::string& host = core.options.host;
  asio::ip::make_address(host, ec);
  if (ec && !SSL_set_tlsext_host_name(conn.tls->native_handle(), host.c_str()))
    return beast::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
  conn.tls->set_verify_callback(asio::ssl::host_name_verification(host));
  return beast::error_code{};
}

asio::awaitable<beast::error_code> connect(CorePtr core, ConnPtr conn, CallPtr call) {
  conn->tls.reset();
  if (core->tls) {
    call->phase = "tls setup";
    if (beast::error_code ec = prepare_tls(*core, *conn)) co_return ec;
  }
  call->phase = "resolve";
  auto [rec, endpoints] =
      co_await conn->resolver.async_resolve(core->options.host, core->port_text, kAwait);
  if (rec) co_return rec;
  call->phase = "connect";
  auto [cec, endpoint] = co_await asio::async_connect(conn->socket(), endpoints, kAwait);
  if (cec) co_return cec;
  beast::error_code ignored;
  conn->socket().set_option(tcp::no_delay(true), ignored);
  if (!conn->tls) co_return beast::error_code{};
  call->phase = "tls handshake";
  auto [hec] = co_await conn->tls->async_handshake(asio::ssl::stream_base::client, kAwait);
  co_return hec;
}

asio::awaitable<Exchange> exchange(CorePtr core, ConnPtr conn, CallPtr call) {
  if (!conn->socket().is_open()) {
    const beast::error_code ec = co_await connect(core, conn, call);
    if (ec) co_return Exchange{transport_failure(*call, ec)};
  }
  call->phase = "write";
  // Two statements, not `co_await (tls ? a : b)`: GCC 12 miscompiles co_await on a conditional
  // expression (it awaited the plain-socket operation on a TLS connection).
  beast::error_code wec;
  if (conn->tls)
    std::tie(wec, std::ignore) = co_await http::async_write(*conn->tls, call->request, kAwait);
  else
    std::tie(wec, std::ignore) = co_await http::async_write(conn->plain, call->request, kAwait);
  if (wec) co_return Exchange{transport_failure(*call, wec), false, conn->served};
  call->phase = "read";
  http::response_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(core->options.max_response_bytes);
  beast::error_code rec;
  size_t got = 0;
  if (conn->tls)
    std::tie(rec, got) = co_await http::async_read(*conn->tls, conn->buffer, parser, kAwait);
  else
    std::tie(rec, got) = co_await http::async_read(conn->plain, conn->buffer, parser, kAwait);
  if (rec == http::error::body_limit && parser.is_header_done())
    co_return classify(*core, parser.get(), true);
  if (rec) co_return Exchange{transport_failure(*call, rec), false, conn->served && got == 0};
  conn->served = true;
  co_return classify(*core, parser.get(), false);
}

asio::awaitable<void> run_call(CorePtr core, ConnPtr conn, CallPtr call) {
  conn->call = call;
  if (core->stopped) {
    finish(*core, *call, retryable("downstream stopped"));
    release(*core, conn, false);
    co_return;
  }
  arm_deadline(core, conn, call);
  Exchange ex = co_await exchange(core, conn, call);
  if (ex.stale && !call->finished) {
    // A pooled keep-alive connection the server had closed: reconnect once, same deadline.
    beast::error_code ignored;
    conn->socket().close(ignored);
    conn->buffer.clear();
    conn->served = false;
    ex = co_await exchange(core, conn, call);
  }
  conn->deadline.cancel();
  const bool reusable = ex.reusable && !call->finished;
  release(*core, conn, reusable);
  finish(*core, *call, std::move(ex.result));
}

std::string make_host_header(const HttpDownstreamOptions& o, bool tls) {
  std::string host = o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
  if (o.port != (tls ? 443 : 80)) host += ":" + std::to_string(o.port);
  return host;
}

}  // namespace

HttpDownstream::HttpDownstream(asio::any_io_executor executor, HttpDownstreamOptions options,
                               const Clock& clock, Logger& logger,
                               std::shared_ptr<asio::ssl::context> tls)
    : core_(std::make_shared<HttpCore>(std::move(executor), std::move(options), std::move(tls),
                                       clock, logger)) {
  core_->host_header = make_host_header(core_->options, core_->tls != nullptr);
  core_->port_text = std::to_string(core_->options.port);
}

HttpDownstream::~HttpDownstream() { SPW_ASSERT(stopped_); }

void HttpDownstream::deliver(std::shared_ptr<const DeliveryBatch> batch, Done done) {
  auto call = std::make_shared<HttpCall>();
  call->start = core_->clock.steady();
  call->done = std::move(done);
  ConnPtr conn = checkout(*core_);
  if (!conn) {
    finish(*core_, *call, retryable("downstream stopped"));
    return;
  }
  call->request = make_request(*core_, *batch);
  call->batch = std::move(batch);
  asio::co_spawn(conn->strand, run_call(core_, conn, call),
                 [core = core_, conn, call](const std::exception_ptr& e) {
                   if (!e) return;
                   core->logger.error(kLogTag, "delivery coroutine failed");
                   finish(*core, *call, retryable("internal error"));
                   release(*core, conn, false);
                 });
}

void HttpDownstream::stop() {
  stopped_ = true;
  std::vector<ConnPtr> idle;
  std::vector<ConnPtr> busy;
  {
    std::lock_guard<std::mutex> lock(core_->mu);
    if (core_->stopped.exchange(true)) return;
    idle.swap(core_->idle);
    busy.assign(core_->busy.begin(), core_->busy.end());
  }
  for (auto& c : idle) asio::post(c->strand, [c] { close_connection(*c); });
  for (auto& c : busy) {
    asio::post(c->strand, [core = core_, c] {
      if (c->call) finish(*core, *c->call, retryable("downstream stopped"));
      close_connection(*c);
    });
  }
  core_->logger.info(kLogTag, "stopped", {{"in_flight", busy.size()}});
}

size_t HttpDownstream::idle_connections() const {
  std::lock_guard<std::mutex> lock(core_->mu);
  return core_->idle.size();
}

}  // namespace spillway::replay
