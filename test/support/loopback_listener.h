#pragma once

#include <httplib.h>

#include <chrono>
#include <thread>

namespace spillway::test {

// Serves a cpp-httplib server on 127.0.0.1 (a free port) from its own thread while this object
// lives: construct it after the routes are set, destroy it before the server. httplib's
// stop() is a no-op until listen_after_bind() has set is_running(), so a listener stopped right
// after start would block in accept() forever: the constructor waits until it runs.
class LoopbackListener {
 public:
  explicit LoopbackListener(httplib::Server& server)
      : server_(server), port_(server.bind_to_any_port("127.0.0.1")) {
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~LoopbackListener() {
    server_.stop();
    thread_.join();
  }
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;

  int port() const { return port_; }

 private:
  httplib::Server& server_;
  int port_;
  std::thread thread_;
};

}  // namespace spillway::test
