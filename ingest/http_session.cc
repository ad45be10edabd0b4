#include "ingest/detail/http_session.h"

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>

#include "ingest/responses.h"
#include "ingest/router.h"

namespace spillway::ingest::detail {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

HttpRequest to_request(http::request<http::string_body>&& msg, const std::string& remote) {
  HttpRequest req;
  req.method = std::string(msg.method_string());
  std::string_view target = msg.target();
  auto q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
  req.headers.reserve(8);
  for (const auto& field : msg) req.headers.emplace_back(lower(field.name_string()), field.value());
  req.body = std::move(msg.body());
  req.remote = remote;
  return req;
}

}  // namespace

HttpSession::HttpSession(net::ip::tcp::socket socket, std::shared_ptr<ServerShared> shared)
    : stream_(std::move(socket)), shared_(std::move(shared)), id_(shared_->next_session_id()) {
  shared_->connections.fetch_add(1);
  beast::error_code ec;
  auto endpoint = stream_.socket().remote_endpoint(ec);
  if (!ec) remote_ = endpoint.address().to_string();
  stream_.socket().set_option(net::ip::tcp::no_delay(true), ec);
}

HttpSession::~HttpSession() {
  shared_->remove_session(id_);
  shared_->connections.fetch_sub(1);
}

void HttpSession::start() {
  std::weak_ptr<HttpSession> weak = shared_from_this();
  shared_->add_session(id_, [weak](bool idle_only) {
    if (auto self = weak.lock())
      net::post(self->stream_.get_executor(), [self, idle_only] { self->close_if(idle_only); });
  });
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
}

void HttpSession::wait_for_request() {
  if (shared_->stopping.load()) return close();
  phase_ = Phase::kIdle;
  if (buffer_.size() > 0) return read_header();
  const auto& o = shared_->options;
  stream_.expires_after(first_request_ ? o.header_timeout : o.idle_timeout);
  stream_.async_read_some(buffer_.prepare(8192),
                          [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                            self->on_first_bytes(ec, n);
                          });
}

void HttpSession::on_first_bytes(beast::error_code ec, std::size_t n) {
  if (ec || phase_ == Phase::kClosed) return close();
  buffer_.commit(n);
  read_header();
}

void HttpSession::read_header() {
  phase_ = Phase::kReading;
  parser_.emplace();
  parser_->header_limit(shared_->options.max_header_bytes);
  parser_->body_limit(shared_->options.max_body_bytes);
  stream_.expires_after(shared_->options.header_timeout);
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_header(ec, n); });
}

void HttpSession::on_header(beast::error_code ec, std::size_t /*n*/) {
  if (phase_ == Phase::kClosed) return;
  if (ec == http::error::header_limit)
    return reject(431, "header_too_large", "request header exceeds the size limit");
  if (ec == http::error::body_limit)
    return reject(400, "too_large", "body exceeds the request size limit");
  if (ec && is_parse_error(ec) && ec != http::error::partial_message)
    return reject(400, "bad_request", "malformed HTTP request");
  if (ec) return close();
  if (reject_framing()) return;
  auto expect = parser_->get()[http::field::expect];
  if (!beast::iequals(expect, "100-continue")) return read_body();
  net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                   [self = shared_from_this()](beast::error_code e, std::size_t) {
                     if (e) return self->close();
                     self->read_body();
                   });
}

// Framing the parser accepts but that could desync a keep-alive connection (FM-26).
bool HttpSession::reject_framing() {
  const auto& h = parser_->get();
  if (h.count(http::field::content_length) > 1) {
    reject(400, "bad_request", "duplicate Content-Length");
    return true;
  }
  if (h.count(http::field::transfer_encoding) > 0 && !parser_->chunked()) {
    reject(400, "bad_request", "unsupported Transfer-Encoding");
    return true;
  }
  return false;
}

void HttpSession::read_body() {
  stream_.expires_after(shared_->options.body_timeout);
  http::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_body(ec, n); });
}

void HttpSession::on_body(beast::error_code ec, std::size_t /*n*/) {
  if (phase_ == Phase::kClosed) return;
  if (ec == http::error::body_limit)
    return reject(400, "too_large", "body exceeds the request size limit");
  if (ec && is_parse_error(ec) && ec != http::error::partial_message)
    return reject(400, "bad_request", "malformed HTTP body");
  if (ec) return close();
  dispatch();
}

void HttpSession::dispatch() {
  auto msg = parser_->release();
  parser_.reset();
  keep_alive_ = msg.keep_alive();
  first_request_ = false;
  phase_ = Phase::kHandling;
  shared_->in_flight.fetch_add(1);
  auto self = shared_from_this();
  Responder respond([self](HttpResponse r) {
    if (self->shared_->closed.load()) {
      self->shared_->in_flight.fetch_sub(1);
      return;
    }
    net::post(self->stream_.get_executor(),
              [self, r = std::move(r)]() mutable { self->send(std::move(r), true); });
  });
  try {
    shared_->router.dispatch(to_request(std::move(msg), remote_), respond);
  } catch (const std::exception&) {
    respond(error_response(500, "internal", "internal error"));
  }
}

void HttpSession::send(HttpResponse response, bool counted) {
  if (counted) shared_->in_flight.fetch_sub(1);
  if (phase_ == Phase::kClosed || phase_ == Phase::kLingering) return;
  bool keep_alive = keep_alive_ && !response.close && !shared_->stopping.load();
  response_ = std::make_shared<Response>();
  response_->result(static_cast<unsigned>(response.status));
  response_->version(11);
  response_->set(http::field::server, "spillway");
  response_->set(http::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) response_->set(name, value);
  response_->body() = std::move(response.body);
  response_->keep_alive(keep_alive);
  response_->prepare_payload();
  phase_ = Phase::kWriting;
  stream_.expires_after(shared_->options.write_timeout);
  http::async_write(stream_, *response_,
                    [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t n) {
                      self->on_write(ec, n, keep_alive);
                    });
}

void HttpSession::on_write(beast::error_code ec, std::size_t /*n*/, bool keep_alive) {
  response_.reset();
  if (ec) return close();
  if (!keep_alive) return linger();
  wait_for_request();
}

// Half-closes, then discards what the client still sends (an unread body) within the linger
// bounds, so the kernel does not answer it with a RST that would destroy the response in
// flight: a client that writes its whole body before reading still reads the answer.
void HttpSession::linger() {
  phase_ = Phase::kLingering;
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
  linger_until_ = std::chrono::steady_clock::now() + shared_->options.linger_time;
  drain(0);
}

void HttpSession::drain(std::size_t discarded) {
  buffer_.consume(buffer_.size());
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      linger_until_ - std::chrono::steady_clock::now());
  if (left.count() <= 0) return close();
  stream_.expires_after(std::min(left, shared_->options.linger_timeout));
  stream_.async_read_some(buffer_.prepare(65536), [self = shared_from_this(), discarded](
                                                      beast::error_code ec, std::size_t n) {
    if (ec || discarded + n > self->shared_->options.linger_max_bytes) return self->close();
    self->buffer_.commit(n);
    self->drain(discarded + n);
  });
}

void HttpSession::reject(int status, std::string_view code, std::string_view message) {
  if (shared_->reject_log.allow(std::chrono::steady_clock::now()) > 0)
    shared_->logger.info("http", "request rejected", {{"status", status}, {"code", code}});
  keep_alive_ = false;
  HttpResponse r = error_response(status, code, message);
  r.close = true;
  if (IngestMetrics* m = shared_->router.metrics()) m->count_response(IngestMetrics::kUnrouted, r);
  send(std::move(r), false);
}

void HttpSession::close() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
  stream_.close();
}

void HttpSession::close_if(bool idle_only) {
  if (!idle_only || phase_ == Phase::kIdle || phase_ == Phase::kReading ||
      phase_ == Phase::kLingering)
    close();
}

}  // namespace spillway::ingest::detail
