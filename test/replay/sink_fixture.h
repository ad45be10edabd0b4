#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "replay/downstream.h"

namespace spillway::test {

// An io_context run by two threads for the duration of a test (HttpDownstream's executor).
class IoRunner {
 public:
  IoRunner() {
    for (auto& t : threads_) t = std::thread([this] { io_.run(); });
  }
  ~IoRunner() {
    guard_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
  }
  IoRunner(const IoRunner&) = delete;
  IoRunner& operator=(const IoRunner&) = delete;
  boost::asio::any_io_executor executor() { return io_.get_executor(); }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
      io_.get_executor()};
  std::thread threads_[2];
};

inline replay::DeliveryItem item(std::string account, uint64_t seq, std::string payload,
                                 int64_t received_ms = 1'700'000'000'123) {
  replay::DeliveryItem it;
  it.account = AccountId{static_cast<uint32_t>(seq % 7 + 1)};
  it.account_name = std::move(account);
  it.seq = Seq{seq};
  it.received_ms = received_ms;
  it.payload = std::move(payload);
  return it;
}

// A batch of `n` events of one account, seqs first..first+n-1.
inline std::shared_ptr<const replay::DeliveryBatch> batch_of(std::string id, std::string account,
                                                             uint64_t first, size_t n) {
  auto b = std::make_shared<replay::DeliveryBatch>();
  b->batch_id = std::move(id);
  for (size_t i = 0; i < n; ++i)
    b->items.push_back(
        item(account, first + i, R"({"type":"track","n":)" + std::to_string(i) + "}"));
  return b;
}

// "prefix-a-b" (built without operator+ chains, which trip GCC 12's -Wrestrict false positive).
inline std::string name_of(std::string prefix, int a, int b = -1) {
  prefix += std::to_string(a);
  if (b >= 0) {
    prefix += '-';
    prefix += std::to_string(b);
  }
  return prefix;
}

// Delivers and waits for the completion (at most `limit`); kind kRetryable with detail
// "test: no completion" if it never came.
inline replay::DeliveryResult deliver_sync(
    replay::Downstream& sink, std::shared_ptr<const replay::DeliveryBatch> b,
    std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto promise = std::make_shared<std::promise<replay::DeliveryResult>>();
  auto future = promise->get_future();
  sink.deliver(std::move(b),
               [promise](replay::DeliveryResult r) { promise->set_value(std::move(r)); });
  if (future.wait_for(limit) != std::future_status::ready) {
    replay::DeliveryResult r;
    r.detail = "test: no completion";
    return r;
  }
  return future.get();
}

}  // namespace spillway::test
