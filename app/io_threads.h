#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <thread>
#include <vector>

namespace spillway::app {

// Runs one io_context on N threads until stop(). A work guard keeps the threads alive while
// there is nothing to do. stop() stops the context and joins; the destructor calls it.
// Owner: the wiring in serve.cc; start/stop from one thread.
class IoThreads {
 public:
  explicit IoThreads(boost::asio::io_context& ioc) : ioc_(ioc), guard_(ioc.get_executor()) {}
  ~IoThreads() { stop(); }
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;

  void start(unsigned n) {
    for (unsigned i = 0; i < n; ++i) threads_.emplace_back([this] { ioc_.run(); });
  }
  void stop() {
    guard_.reset();
    ioc_.stop();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    threads_.clear();
  }

 private:
  boost::asio::io_context& ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::vector<std::thread> threads_;
};

}  // namespace spillway::app
