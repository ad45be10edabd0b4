#include "replay/http_downstream.h"

#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "common/clock.h"
#include "test/replay/sink_fixture.h"
#include "test/support/capture_logger.h"
#include "test/support/fake_downstream.h"
#include "test/support/loopback_listener.h"

namespace spillway::replay {
namespace {

using Kind = DeliveryResult::Kind;
using namespace std::chrono_literals;
using test::batch_of;
using test::deliver_sync;
using test::FakeDownstream;
using test::FakeMode;

// A loopback server whose answer the test chooses; keeps the raw request.
class RawServer {
 public:
  using Responder = std::function<void(const httplib::Request&, httplib::Response&)>;
  explicit RawServer(Responder r) : responder_(std::move(r)) {
    server_.Post(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        last_ = req;
      }
      responder_(req, res);
    });
    listener_.emplace(server_);
  }
  int port() const { return listener_->port(); }
  httplib::Request last() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_;
  }

 private:
  Responder responder_;
  httplib::Server server_;
  std::mutex mu_;
  httplib::Request last_;
  std::optional<test::LoopbackListener> listener_;  // last: stops before the rest goes
};

// The sink under test, on its own io threads, stopped at the end of the test.
struct Sink {
  explicit Sink(int port, std::chrono::milliseconds timeout = 5s) {
    HttpDownstreamOptions o;
    o.host = "127.0.0.1";
    o.port = static_cast<uint16_t>(port);
    o.target = "/events?x=1";
    o.attempt_timeout = timeout;
    http = std::make_unique<HttpDownstream>(io.executor(), o, clock, logger);
  }
  ~Sink() { http->stop(); }
  DeliveryResult send(std::string id, size_t n = 2) {
    return deliver_sync(*http, batch_of(std::move(id), "acme", 1, n));
  }
  SystemClock clock;
  test::CaptureLogger logger;
  test::IoRunner io;
  std::unique_ptr<HttpDownstream> http;
};

std::unique_ptr<FakeDownstream> started_fake() {
  auto f = std::make_unique<FakeDownstream>();
  REQUIRE(f->start().is_ok());
  return f;
}

TEST_CASE("HttpDownstream: POSTs the documented body and headers") {
  RawServer server([](const auto&, auto& res) { res.set_content("{}", "application/json"); });
  Sink sink(server.port());
  auto b = batch_of("batch-7", "acme", 10, 3);
  const DeliveryResult r = deliver_sync(*sink.http, b);
  CHECK(r.kind == Kind::kAccepted);
  CHECK(r.http_status == 200);
  const httplib::Request req = server.last();
  CHECK(req.method == "POST");
  CHECK(req.target == "/events?x=1");
  CHECK(req.get_header_value("Content-Type") == "application/json");
  CHECK(req.get_header_value("Idempotency-Key") == "batch-7");
  const auto j = nlohmann::json::parse(req.body, nullptr, false);
  REQUIRE(!j.is_discarded());
  CHECK(j["batch_id"] == "batch-7");
  REQUIRE(j["events"].size() == 3);
  CHECK(j["events"][2]["seq"] == 12);
  CHECK(j["events"][0]["account"] == "acme");
  CHECK(j["events"][0]["received_at"] == "2023-11-14T22:13:20.123Z");
  CHECK(req.body.find(b->items[1].payload) != std::string::npos);
}

TEST_CASE("HttpDownstream: classifies statuses and reads Retry-After") {
  std::atomic<int> status{200};
  std::string retry_after;
  RawServer server([&](const auto&, auto& res) {
    res.status = status.load();
    if (!retry_after.empty()) res.set_header("Retry-After", retry_after);
    res.set_content("nope\r\n", "text/plain");
  });
  Sink sink(server.port());
  SUBCASE("2xx") {
    status = 204;
    CHECK(sink.send("a").kind == Kind::kAccepted);
  }
  SUBCASE("4xx rejects with the body in detail") {
    status = 422;
    const DeliveryResult r = sink.send("a");
    CHECK(r.kind == Kind::kRejected);
    CHECK(r.detail == "HTTP 422: nope??");
  }
  SUBCASE("408 and 5xx retry") {
    for (int s : {408, 500, 503}) {
      status = s;
      CHECK(sink.send("a").kind == Kind::kRetryable);
    }
  }
  SUBCASE("429 with Retry-After seconds") {
    status = 429;
    retry_after = "7";
    const DeliveryResult r = sink.send("a");
    CHECK(r.kind == Kind::kRetryable);
    CHECK(r.retry_after == std::chrono::milliseconds(7000));
  }
  SUBCASE("503 with Retry-After HTTP-date") {
    status = 503;
    retry_after = "Thu, 01 Jan 2099 00:00:00 GMT";
    const DeliveryResult r = sink.send("a");
    REQUIRE(r.retry_after);
    CHECK(*r.retry_after == std::chrono::milliseconds(24LL * 3600 * 1000));  // clamped
  }
  SUBCASE("redirects are not followed") {
    status = 302;
    const DeliveryResult r = sink.send("a");
    CHECK(r.kind == Kind::kRetryable);
    CHECK(r.detail.find("redirect not followed") != std::string::npos);
  }
}

TEST_CASE("HttpDownstream: an oversized response is bounded and classified by status") {
  RawServer server([](const auto&, auto& res) {
    res.status = 500;
    res.set_content(std::string(4 << 20, 'x'), "text/plain");
  });
  Sink sink(server.port());
  const DeliveryResult r = sink.send("big");
  CHECK(r.kind == Kind::kRetryable);
  CHECK(r.http_status == 500);
  CHECK(r.detail.find("not read further") != std::string::npos);
  CHECK(sink.http->idle_connections() == 0);
}

TEST_CASE("HttpDownstream: connection refused is retryable") {
  int port = 0;
  {
    RawServer s([](const auto&, auto&) {});
    port = s.port();
  }
  Sink sink(port);
  const DeliveryResult r = sink.send("a");
  INFO(r.detail);
  CHECK(r.kind == Kind::kRetryable);
  CHECK(r.http_status == 0);
  CHECK(r.detail.find("connect") != std::string::npos);
}

TEST_CASE("HttpDownstream: the total deadline ends a hanging or trickling downstream") {
  auto fake = started_fake();
  Sink sink(fake->port(), 300ms);
  SUBCASE("hang") { fake->set_mode(FakeMode::kHang); }
  SUBCASE("trickle") {
    auto s = fake->script();
    s.mode = FakeMode::kTrickle;
    s.trickle_interval = 50ms;
    fake->set_script(s);
  }
  const auto start = std::chrono::steady_clock::now();
  const DeliveryResult r = sink.send("slow");
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(r.kind == Kind::kRetryable);
  CHECK(r.detail.find("timeout after 300 ms") != std::string::npos);
  CHECK(took < 2s);
  CHECK(r.latency >= 290ms);
  fake->set_mode(FakeMode::kUp);
  CHECK(sink.send("after").kind == Kind::kAccepted);
}

TEST_CASE("HttpDownstream: reset after the body is retryable and the fake sees it ambiguous") {
  auto fake = started_fake();
  Sink sink(fake->port());
  fake->set_mode(FakeMode::kResetAfterBody);
  CHECK(sink.send("amb", 3).kind == Kind::kRetryable);
  CHECK(fake->stats().ambiguous_events == 3);
  fake->set_mode(FakeMode::kUp);
  CHECK(sink.send("amb", 3).kind == Kind::kAccepted);
  CHECK(fake->deliveries().at(0).batch_id == "amb");
}

TEST_CASE("HttpDownstream: down then up") {
  auto fake = started_fake();
  Sink sink(fake->port());
  CHECK(sink.send("1").kind == Kind::kAccepted);
  fake->set_mode(FakeMode::kDown);
  CHECK(sink.send("2").kind == Kind::kRetryable);
  fake->set_mode(FakeMode::kUp);
  CHECK(sink.send("2").kind == Kind::kAccepted);
}

TEST_CASE("HttpDownstream: concurrent deliveries reuse a bounded pool of connections") {
  auto fake = started_fake();
  Sink sink(fake->port());
  std::vector<std::thread> senders;
  std::atomic<int> accepted{0};
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const std::string id = test::name_of("t", t, i);
        auto b = batch_of(id, test::name_of("acct", t), static_cast<uint64_t>(i) * 10, 10);
        if (deliver_sync(*sink.http, b).kind == Kind::kAccepted) ++accepted;
      }
    });
  }
  for (auto& s : senders) s.join();
  CHECK(accepted == 100);
  CHECK(fake->stats().unique_events == 1000);
  CHECK(fake->stats().missing_idempotency_key == 0);
  CHECK(sink.http->idle_connections() >= 1);
  CHECK(sink.http->idle_connections() <= 8);
}

TEST_CASE("HttpDownstream: a pooled connection closed by the server is replaced silently") {
  test::FakeDownstreamOptions o;
  o.keep_alive_timeout_s = 1;
  FakeDownstream fake(o);
  REQUIRE(fake.start().is_ok());
  Sink sink(fake.port());
  CHECK(sink.send("1").kind == Kind::kAccepted);
  CHECK(sink.http->idle_connections() == 1);
  std::this_thread::sleep_for(1500ms);
  CHECK(sink.send("2").kind == Kind::kAccepted);
}

TEST_CASE("HttpDownstream: stop() completes in-flight deliveries and refuses new ones") {
  auto fake = started_fake();
  auto sink = std::make_unique<Sink>(fake->port(), 30s);
  fake->set_mode(FakeMode::kHang);
  auto promise = std::make_shared<std::promise<DeliveryResult>>();
  auto future = promise->get_future();
  sink->http->deliver(batch_of("h", "acme", 1, 1),
                      [promise](DeliveryResult r) { promise->set_value(std::move(r)); });
  // In flight: the fake holds the request (a loaded machine may take more than a second to get
  // it there). Then stop() must end it long before the 30 s attempt timeout would.
  for (int i = 0; i < 4000 && fake->stats().hung == 0; ++i) std::this_thread::sleep_for(5ms);
  REQUIRE(fake->stats().hung == 1);
  sink->http->stop();
  REQUIRE(future.wait_for(10s) == std::future_status::ready);
  CHECK(future.get().detail == "downstream stopped");
  const DeliveryResult after = deliver_sync(*sink->http, batch_of("x", "acme", 1, 1), 1s);
  CHECK(after.kind == Kind::kRetryable);
  CHECK(after.detail == "downstream stopped");
  fake->set_mode(FakeMode::kUp);
}

}  // namespace
}  // namespace spillway::replay
