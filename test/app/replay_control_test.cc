// Integration: the operator surface of the drain on the real binary: auth, global and
// per-account pause (durable across kill -9), the backlog API's numbers and run-time limits.
#include <doctest/doctest.h>

#include "test/app/replay_fixture.h"

using namespace spillway::test;
using json = nlohmann::json;
using std::chrono::milliseconds;

namespace {

size_t delivered_of(const ReplayFixture& f, const std::string& account) {
  size_t n = 0;
  for (const FakeDelivery& d : f.fake.deliveries()) n += d.account == account ? 1 : 0;
  return n;
}

// Per-account depth as listed by GET /v1/backlog (0 when not listed).
uint64_t listed_depth(const json& backlog, const std::string& account) {
  for (const json& a : backlog["accounts"])
    if (a["name"] == account) return a["depth"].get<uint64_t>();
  return 0;
}

}  // namespace

TEST_CASE("Replay: operator routes need the admin token") {
  ReplayFixture f;
  f.create_account("acme");
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/v1/backlog"},
      {"GET", "/v1/accounts/acme"},
      {"POST", "/v1/drain/pause"},
      {"POST", "/v1/drain/resume"},
      {"PUT", "/v1/drain/limits"},
      {"POST", "/v1/accounts/acme/pause"},
      {"POST", "/v1/accounts/acme/resume"},
      {"PUT", "/v1/accounts/acme/weight"},
      {"GET", "/v1/accounts/acme/dead"},
      {"POST", "/v1/accounts/acme/dead/replay"},
      {"DELETE", "/v1/accounts/acme/dead"},
  };
  for (const auto& [method, path] : routes) {
    CAPTURE(method);
    CAPTURE(path);
    auto none = f.admin(method, path, "{}", "");
    REQUIRE(none);
    CHECK(none->status == 401);
    auto wrong = f.admin(method, path, "{}", "not-the-admin-token");
    REQUIRE(wrong);
    CHECK(wrong->status == 403);
  }
  CHECK(f.admin("PUT", "/v1/accounts/acme/weight", R"({"weight":3})")->status == 200);
  CHECK(f.account("acme")["weight"] == 3);
  CHECK(f.admin("PUT", "/v1/accounts/acme/weight", R"({"weight":0})")->status == 400);
  CHECK(f.admin("GET", "/v1/accounts/nobody")->status == 404);
  CHECK(f.admin("GET", "/v1/backlog?sort=size")->status == 400);
}

TEST_CASE("Replay: a global pause holds delivery and survives kill -9") {
  ReplayFixture f;
  f.create_account("g");
  REQUIRE(f.admin("POST", "/v1/drain/pause")->status == 200);
  f.ingest("g", 0, 30);
  CHECK(f.backlog()["drain"]["state"] == "paused");
  f.kill9();
  f.restart();
  json b = f.backlog();
  CHECK(b["drain"]["state"] == "paused");
  CHECK(b["totals"]["events"] == 30);
  f.ingest("g", 30, 10);  // ingest goes on while paused
  // The drainer re-examines its queue at least once a second: 1.5 s without a delivery means
  // the pause, not a missed wake-up, is what holds it.
  CHECK_FALSE(eventually([&] { return f.fake.stats().requests > 0; }, milliseconds(1500)));
  CHECK(f.backlog()["totals"]["events"] == 40);

  REQUIRE(f.admin("POST", "/v1/drain/resume")->status == 200);
  REQUIRE(eventually([&] { return f.fake.stats().unique_events >= 40; }));
  DeliveryReport r = report(f.fake);
  CHECK(r.order["g"] == range(0, 40));
  CHECK(r.duplicates == 0);
  CHECK(eventually([&] { return f.backlog()["drain"]["state"] == "running"; }));
}

TEST_CASE("Replay: a paused account is held across kill -9 while the others flow") {
  ReplayFixture f;
  for (const char* a : {"held", "b", "c"}) f.create_account(a);
  REQUIRE(f.admin("POST", "/v1/accounts/held/pause")->status == 200);
  f.ingest("held", 0, 20);
  f.ingest("b", 0, 30);
  f.ingest("c", 0, 5);
  REQUIRE(eventually([&] { return f.fake.stats().unique_events >= 35; }));
  CHECK(delivered_of(f, "held") == 0);
  // The backlog API: ingested (55) minus delivered (35), all of it the held account's. The
  // fake counts an event when it answers; the queue once the acknowledgement is committed.
  CHECK(eventually([&] {
    json totals = f.backlog()["totals"];
    return totals["events"] == 20 && totals["accounts_with_backlog"] == 1;
  }));
  CHECK(eventually([&] {
    json now = f.backlog();
    return listed_depth(now, "held") == 20 && now["accounts"].size() == 1;
  }));
  CHECK(f.account("held")["paused"] == true);
  CHECK(f.account("b")["depth"] == 0);

  f.kill9();
  f.restart();
  CHECK(f.account("held")["paused"] == true);
  f.ingest("held", 20, 5);
  f.ingest("b", 30, 10);
  REQUIRE(eventually([&] { return f.fake.stats().unique_events >= 45; }));
  CHECK(delivered_of(f, "held") == 0);
  CHECK(eventually([&] { return f.backlog()["totals"]["events"] == 25; }));

  REQUIRE(f.admin("POST", "/v1/accounts/held/resume")->status == 200);
  REQUIRE(eventually([&] { return f.fake.stats().unique_events >= 70; }));
  DeliveryReport r = report(f.fake);
  CHECK(r.order["held"] == range(0, 25));
  CHECK(r.order["b"] == range(0, 40));
  CHECK(r.order["c"] == range(0, 5));
  CHECK(r.reorders == 0);
  CHECK(r.duplicates == 0);
  CHECK(eventually([&] { return f.backlog()["totals"]["events"] == 0; }));
}

TEST_CASE("Replay: PUT /v1/drain/limits changes the delivery rate at run time") {
  ReplayFixture f;
  f.create_account("r");
  auto put =
      f.admin("PUT", "/v1/drain/limits", R"({"max_events_per_sec":100,"max_concurrency":2})");
  REQUIRE(put);
  REQUIRE(put->status == 200);
  json drain = f.backlog()["drain"];
  CHECK(drain["max_events_per_sec"] == 100);
  CHECK(drain["max_concurrency"] == 2);
  CHECK(f.admin("PUT", "/v1/drain/limits", R"({"max_events_per_sec":-1,"max_concurrency":2})")
            ->status == 400);

  // 100/s with a bucket of one second: 600 events need about 5 s. After the first second at
  // most ~200 may have gone.
  f.ingest("r", 0, 600);
  REQUIRE(eventually([&] { return f.fake.stats().unique_events > 0; }));
  const auto first = std::chrono::steady_clock::now();
  CHECK_FALSE(eventually([&] { return f.fake.stats().unique_events > 250; }, milliseconds(1000)));
  CHECK(f.backlog()["totals"]["events"].get<uint64_t>() >= 350);

  // Lifting the cap drains the rest well before the old rate could have.
  REQUIRE(f.admin("PUT", "/v1/drain/limits", R"({"max_events_per_sec":0,"max_concurrency":8})")
              ->status == 200);
  REQUIRE(eventually([&] { return f.fake.stats().unique_events >= 600; }, milliseconds(10000)));
  CHECK(std::chrono::steady_clock::now() - first < std::chrono::milliseconds(3500));
  CHECK(report(f.fake).order["r"] == range(0, 600));

  // The limits are durable.
  CHECK(f.stop() == 0);
  f.restart();
  drain = f.backlog()["drain"];
  CHECK(drain["max_events_per_sec"] == 0);
  CHECK(drain["max_concurrency"] == 8);
}
