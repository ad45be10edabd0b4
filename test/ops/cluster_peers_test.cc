#include "app/cluster_peers.h"

#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "test/support/loopback_listener.h"

namespace spillway::app {
namespace {

// A peer on 127.0.0.1 answering GET /v1/backlog and GET /v1/node after `delay`, counting the
// backlog questions and remembering the last Authorization header.
class SlowPeer {
 public:
  explicit SlowPeer(std::chrono::milliseconds delay) {
    server_.Get("/v1/backlog", [this, delay](const httplib::Request& req, httplib::Response& res) {
      questions_ += 1;
      {
        std::lock_guard<std::mutex> lock(mu_);
        authorization_ = req.get_header_value("Authorization");
      }
      std::this_thread::sleep_for(delay);
      res.set_content(R"({"node":"peer","totals":{"events":3}})", "application/json");
    });
    server_.Get("/v1/node", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"node":"peer","state":"serving"})", "application/json");
    });
    listener_.emplace(server_);
  }
  SlowPeer(const SlowPeer&) = delete;
  SlowPeer& operator=(const SlowPeer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(listener_->port()); }
  int questions() const { return questions_; }
  std::string authorization() const {
    std::lock_guard<std::mutex> lock(mu_);
    return authorization_;
  }

 private:
  httplib::Server server_;
  std::atomic<int> questions_{0};
  mutable std::mutex mu_;
  // Guarded by mu_.
  std::string authorization_;
  std::optional<test::LoopbackListener> listener_;  // last: stops before the rest goes
};

// Starts a fetch and returns the future of its reports.
std::future<std::vector<NodeReport>> fetch(ClusterPeers& peers) {
  auto promise = std::make_shared<std::promise<std::vector<NodeReport>>>();
  auto future = promise->get_future();
  bool queued = peers.fetch([promise](const std::vector<NodeReport>& r) { promise->set_value(r); });
  if (!queued) promise->set_value({});
  return future;
}

}  // namespace

TEST_CASE("ClusterPeers: asks every peer with the token; a dead one is a report with its error") {
  SlowPeer peer(std::chrono::milliseconds(0));
  ClusterPeers peers({{peer.url(), "http://127.0.0.1:1"}, "tok", std::chrono::milliseconds(500)});
  peers.start();
  auto reports = fetch(peers).get();
  REQUIRE(reports.size() == 2);
  CHECK(reports[0].url == peer.url());
  CHECK(reports[0].backlog["totals"]["events"] == 3);
  CHECK(reports[0].node["state"] == "serving");
  CHECK(reports[0].error.empty());
  CHECK(peer.authorization() == "Bearer tok");
  CHECK(reports[1].backlog.is_null());
  CHECK(reports[1].error.find("cannot reach the server at http://127.0.0.1:1") !=
        std::string::npos);
  peers.stop();
}

TEST_CASE("ClusterPeers: fetches that arrive during a round share the next one") {
  SlowPeer peer(std::chrono::milliseconds(300));
  ClusterPeers peers({{peer.url()}, "tok", std::chrono::milliseconds(2000)});
  peers.start();
  auto first = fetch(peers);
  // The first round is running once its question reached the peer (which answers 300 ms
  // later); fetches made before that would join the first round, not share the next.
  for (int i = 0; i < 4000 && peer.questions() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(peer.questions() == 1);
  std::vector<std::future<std::vector<NodeReport>>> waiting;
  for (int i = 0; i < 5; ++i) waiting.push_back(fetch(peers));
  CHECK(first.get().size() == 1);
  for (auto& w : waiting) CHECK(w.get().at(0).error.empty());
  CHECK(peer.questions() == 2);
  peers.stop();
}

TEST_CASE("ClusterPeers: a peer slower than the timeout fails its report, not the round") {
  SlowPeer peer(std::chrono::milliseconds(1500));
  ClusterPeers peers({{peer.url()}, "tok", std::chrono::milliseconds(200)});
  peers.start();
  auto started = std::chrono::steady_clock::now();
  auto reports = fetch(peers).get();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(1200));
  CHECK(reports.at(0).error.find("no answer") != std::string::npos);
  peers.stop();
}

TEST_CASE("ClusterPeers: after stop() a fetch is refused") {
  ClusterPeers peers({{"http://127.0.0.1:1"}, "tok", std::chrono::milliseconds(200)});
  peers.start();
  peers.stop();
  CHECK_FALSE(peers.fetch([](const std::vector<NodeReport>&) {}));
}

}  // namespace spillway::app
