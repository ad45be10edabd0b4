// Integration: kill -9 the server during a stream of requests, restart it, and check that every
// event answered 200 is stored exactly once and none answered with an error is.
#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "test/ingest/server_fixture.h"
#include "test/ingest/store_reader.h"

using namespace spillway::test;
using json = nlohmann::json;

namespace {

// What one producer saw.
struct Ledger {
  std::mutex mu;
  std::set<std::string> acked;   // 200
  std::set<std::string> failed;  // definite error status (4xx/503)
};

void produce(int port, const std::string& auth, int producer, std::atomic<bool>& stop,
             Ledger& ledger) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(5, 0);
  for (int i = 0; !stop.load(); ++i) {
    json batch = {{"batch", json::array()}};
    std::vector<std::string> ids;
    for (int k = 0; k < 5; ++k) {
      std::string id = "p";
      id.append(std::to_string(producer)).append("-").append(std::to_string(i));
      id.append("-").append(std::to_string(k));
      ids.push_back(id);
      batch["batch"].push_back(
          {{"type", "track"}, {"userId", "u"}, {"event", "e"}, {"messageId", ids.back()}});
    }
    auto r = client.Post("/v1/batch", {{"Authorization", auth}}, batch.dump(), "application/json");
    if (!r) continue;  // indeterminate: connection died with the server
    std::lock_guard<std::mutex> lock(ledger.mu);
    for (const auto& id : ids) (r->status == 200 ? ledger.acked : ledger.failed).insert(id);
  }
}

}  // namespace

TEST_CASE("Crash: kill -9 under load loses no acknowledged event") {
  TempDir dir;
  std::string data = dir.sub("data");
  Ledger ledger;
  std::string auth;
  for (int round = 0; round < 3; ++round) {
    ServerProcess server(data);
    REQUIRE(server.start());
    if (round == 0) {
      httplib::Client admin("127.0.0.1", server.port());
      auto r = admin.Post("/v1/admin/accounts",
                          {{"Authorization", std::string("Bearer ") + kTestAdminToken}},
                          R"({"name":"crash","write_key":"wk_crash_key"})", "application/json");
      REQUIRE(r->status == 201);
      auth = ServerFixture::basic("wk_crash_key");
    }
    std::atomic<bool> stop{false};
    std::vector<std::thread> producers;
    for (int p = 0; p < 4; ++p)
      producers.emplace_back(produce, server.port(), auth, round * 10 + p, std::ref(stop),
                             std::ref(ledger));
    std::this_thread::sleep_for(std::chrono::milliseconds(400 + 300 * round));
    server.kill9();
    stop = true;
    for (auto& t : producers) t.join();
  }
  REQUIRE(ledger.acked.size() > 100);
  std::multiset<std::string> stored;
  for (const auto& row : read_store(data)) {
    CHECK_FALSE(row.dead);
    stored.insert(row.message_id);
  }
  size_t missing = 0, duplicated = 0, phantom = 0;
  for (const auto& id : ledger.acked) {
    missing += stored.count(id) == 0 ? 1 : 0;
    duplicated += stored.count(id) > 1 ? 1 : 0;
  }
  for (const auto& id : ledger.failed) phantom += stored.count(id);
  CHECK(missing == 0);
  CHECK(duplicated == 0);
  CHECK(phantom == 0);
  MESSAGE("acked=" << ledger.acked.size() << " failed=" << ledger.failed.size()
                   << " stored=" << stored.size());
}
