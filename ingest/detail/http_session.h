#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>
#include <optional>

#include "ingest/detail/server_shared.h"
#include "ingest/http_message.h"

namespace spillway::ingest::detail {

// One HTTP connection. Every member is touched only on the session's strand (the stream's
// executor); Responder callbacks from other threads post onto it. Lifetime: shared_from_this,
// held by the pending async operation or by an outstanding Responder.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, std::shared_ptr<ServerShared> shared);
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  void start();

 private:
  enum class Phase { kIdle, kReading, kHandling, kWriting, kLingering, kClosed };
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;

  void wait_for_request();
  void on_first_bytes(boost::beast::error_code ec, std::size_t n);
  void read_header();
  void on_header(boost::beast::error_code ec, std::size_t n);
  bool reject_framing();
  void read_body();
  void on_body(boost::beast::error_code ec, std::size_t n);
  void dispatch();
  void send(HttpResponse response, bool counted);
  void on_write(boost::beast::error_code ec, std::size_t n, bool keep_alive);
  void linger();
  void drain(std::size_t discarded);
  void reject(int status, std::string_view code, std::string_view message);
  void close();
  void close_if(bool idle_only);

  boost::beast::tcp_stream stream_;
  std::shared_ptr<ServerShared> shared_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::shared_ptr<Response> response_;
  std::string remote_;
  uint64_t id_;
  Phase phase_ = Phase::kIdle;
  bool first_request_ = true;
  bool keep_alive_ = false;
  std::chrono::steady_clock::time_point linger_until_;
};

}  // namespace spillway::ingest::detail
