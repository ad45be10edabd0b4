#include "ingest/http_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "ingest/detail/http_session.h"

namespace spillway::ingest {
namespace detail {

namespace net = boost::asio;
using tcp = net::ip::tcp;

void ServerShared::add_session(uint64_t id, std::function<void(bool)> closer) {
  std::lock_guard<std::mutex> lock(mu);
  sessions.emplace(id, std::move(closer));
}

void ServerShared::remove_session(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu);
  sessions.erase(id);
}

void ServerShared::close_sessions(bool idle_only) {
  std::vector<std::function<void(bool)>> closers;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& [id, closer] : sessions) closers.push_back(closer);
  }
  for (const auto& closer : closers) closer(idle_only);
}

// Accepts connections on its own strand. Past max_connections a new socket is closed at
// once; after an accept error (EMFILE) it pauses briefly instead of spinning.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, std::shared_ptr<ServerShared> shared)
      : ioc_(ioc),
        acceptor_(net::make_strand(ioc)),
        timer_(acceptor_.get_executor()),
        shared_(std::move(shared)) {}

  Result<uint16_t> open(const std::string& host, uint16_t port);
  void accept();
  void stop() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      boost::system::error_code ec;
      self->acceptor_.close(ec);
      self->timer_.cancel();
    });
  }

 private:
  void on_accept(boost::system::error_code ec, tcp::socket socket);

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer timer_;
  std::shared_ptr<ServerShared> shared_;
};

Result<uint16_t> Listener::open(const std::string& host, uint16_t port) {
  boost::system::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (ec) return Status::invalid_argument("bad listen address: " + host);
  tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return Status::unavailable("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                               ec.message());
  return acceptor_.local_endpoint().port();
}

void Listener::accept() {
  acceptor_.async_accept(
      net::make_strand(ioc_),
      [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
        self->on_accept(ec, std::move(socket));
      });
}

void Listener::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (!acceptor_.is_open() || shared_->stopping.load()) return;
  if (ec) {
    if (shared_->reject_log.allow(std::chrono::steady_clock::now()) > 0)
      shared_->logger.warn("http", "accept failed", {{"error", ec.message()}});
    timer_.expires_after(std::chrono::milliseconds(50));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code) { self->accept(); });
    return;
  }
  if (shared_->connections.load() >= shared_->options.max_connections) {
    boost::system::error_code ignored;
    socket.close(ignored);
  } else {
    std::make_shared<HttpSession>(std::move(socket), shared_)->start();
  }
  accept();
}

}  // namespace detail

HttpServer::HttpServer(boost::asio::io_context& ioc, const Router& router,
                       const IngestOptions& options, Logger& logger)
    : ioc_(ioc), shared_(std::make_shared<detail::ServerShared>(router, options, logger)) {}

HttpServer::~HttpServer() {
  stop_accepting();
  close_all();
}

Result<uint16_t> HttpServer::start(const std::string& host, uint16_t port) {
  listener_ = std::make_shared<detail::Listener>(ioc_, shared_);
  auto bound = listener_->open(host, port);
  if (!bound) {
    listener_.reset();
    return bound;
  }
  listener_->accept();
  return bound;
}

void HttpServer::stop_accepting() {
  shared_->stopping.store(true);
  if (listener_) listener_->stop();
  shared_->close_sessions(true);
}

void HttpServer::close_all() {
  shared_->closed.store(true);
  shared_->close_sessions(false);
}

uint64_t HttpServer::in_flight() const { return shared_->in_flight.load(); }

uint64_t HttpServer::connections() const { return shared_->connections.load(); }

}  // namespace spillway::ingest
