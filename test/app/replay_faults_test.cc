// Integration: the real `spillway serve` draining into the fake downstream while it is down,
// failing, throttling, hanging or resetting, and while it refuses poison events. Each test
// checks zero loss, per-account order, and that every duplicate is a re-send of the same batch.
#include <doctest/doctest.h>

#include "test/app/replay_fixture.h"

using namespace spillway::test;
using json = nlohmann::json;
using std::chrono::milliseconds;
using Expected = std::map<std::string, std::vector<int>>;

namespace {

// The fake accepted exactly `expected` (per account, in order) and nothing else; every
// duplicate was a re-send under the same batch id.
void check_exactly(const DeliveryReport& r, const Expected& expected) {
  CHECK(r.reorders == 0);
  CHECK(r.duplicates_in_other_batches == 0);
  CHECK(r.missing_idempotency_key == 0);
  CHECK(r.order.size() == expected.size());
  for (const auto& [account, ns] : expected) {
    CAPTURE(account);
    auto it = r.order.find(account);
    REQUIRE(it != r.order.end());
    CHECK(it->second == ns);
  }
}

bool delivered(const ReplayFixture& f, uint64_t n) { return f.fake.stats().unique_events >= n; }

uint64_t dead_total(ReplayFixture& f, const std::string& account) {
  auto r = f.admin("GET", "/v1/accounts/" + account + "/dead");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  return json::parse(r->body)["total"].get<uint64_t>();
}

}  // namespace

TEST_CASE("Replay: a downstream outage loses nothing and keeps each account's order") {
  ReplayFixture f;
  f.fake.set_mode(FakeMode::kDown);
  for (const char* a : {"a1", "a2", "a3"}) f.create_account(a);
  f.ingest("a1", 0, 30);
  f.ingest("a2", 0, 5);
  f.ingest("a1", 30, 30);
  f.ingest("a3", 0, 1);
  f.ingest("a2", 5, 20);
  // While nothing can be delivered the backlog API counts everything ingested.
  json b = f.backlog();
  CHECK(b["totals"]["events"] == 86);
  CHECK(b["totals"]["accounts_with_backlog"] == 3);
  CHECK(eventually([&] {
    std::string state = f.backlog()["drain"]["state"];
    return state == "circuit_open" || state == "backing_off";
  }));
  CHECK(f.account("a1")["depth"] == 60);
  CHECK(f.fake.stats().accepted_events == 0);

  f.fake.set_mode(FakeMode::kUp);
  REQUIRE(eventually([&] { return delivered(f, 86); }));
  DeliveryReport r = report(f.fake);
  check_exactly(r, {{"a1", range(0, 60)}, {"a2", range(0, 25)}, {"a3", range(0, 1)}});
  CHECK(r.duplicates == 0);
  CHECK(eventually([&] { return f.backlog()["totals"]["events"] == 0; }));
  // The drain state comes from a snapshot cached for up to a second.
  CHECK(eventually([&] { return f.backlog()["drain"]["state"] == "running"; }));
}

TEST_CASE("Replay: 5xx answers are retried until the downstream accepts") {
  ReplayFixture f;
  f.fake.set_mode(FakeMode::kError);  // 503 without Retry-After
  f.create_account("e1");
  f.create_account("e2");
  f.ingest("e1", 0, 40);
  f.ingest("e2", 0, 15);
  REQUIRE(eventually([&] { return f.fake.stats().errors >= 3; }));
  CHECK(f.backlog()["totals"]["events"] == 55);
  f.fake.set_mode(FakeMode::kUp);
  REQUIRE(eventually([&] { return delivered(f, 55); }));
  DeliveryReport r = report(f.fake);
  check_exactly(r, {{"e1", range(0, 40)}, {"e2", range(0, 15)}});
  CHECK(r.duplicates == 0);
}

TEST_CASE("Replay: 429 with Retry-After holds delivery for that long") {
  ReplayFixture f;
  FakeScript throttle;
  throttle.mode = FakeMode::kThrottle;
  throttle.retry_after_s = 1;
  f.fake.set_script(throttle);
  f.create_account("t1");
  f.ingest("t1", 0, 20);
  REQUIRE(eventually([&] { return f.fake.stats().throttled >= 1; }));
  // Retries are capped at 250 ms (--retry-max-ms), so without Retry-After the next 2.5 s would
  // bring about ten requests; honouring "Retry-After: 1" allows at most one per second.
  const uint64_t before = f.fake.stats().requests;
  CHECK_FALSE(eventually([&] { return f.fake.stats().requests > before + 3; }, milliseconds(2500)));
  CHECK(f.fake.stats().accepted_events == 0);
  f.fake.set_mode(FakeMode::kUp);
  REQUIRE(eventually([&] { return delivered(f, 20); }));
  check_exactly(report(f.fake), {{"t1", range(0, 20)}});
}

TEST_CASE("Replay: a hung downstream times out and the same batch is re-sent") {
  ReplayFixture f({"--sink-timeout-ms", "300"});
  f.fake.set_mode(FakeMode::kHang);
  f.create_account("h1");
  f.create_account("h2");
  f.ingest("h1", 0, 25);
  f.ingest("h2", 0, 25);
  REQUIRE(eventually([&] { return f.fake.stats().hung >= 3; }));
  f.fake.set_mode(FakeMode::kUp);
  REQUIRE(eventually([&] { return delivered(f, 50); }));
  check_exactly(report(f.fake), {{"h1", range(0, 25)}, {"h2", range(0, 25)}});
}

TEST_CASE("Replay: a connection reset after the body is read is re-sent under the same id") {
  ReplayFixture f;
  f.fake.set_mode(FakeMode::kResetAfterBody);
  f.create_account("r1");
  f.create_account("r2");
  f.ingest("r1", 0, 40);
  f.ingest("r2", 0, 10);
  REQUIRE(eventually([&] { return f.fake.stats().ambiguous_batches >= 2; }));
  f.fake.set_mode(FakeMode::kUp);
  REQUIRE(eventually([&] { return delivered(f, 50); }));
  DeliveryReport r = report(f.fake);
  check_exactly(r, {{"r1", range(0, 40)}, {"r2", range(0, 10)}});
  // Every event the fake read without answering came again, in a batch with the same id.
  CHECK(r.duplicates >= f.fake.stats().ambiguous_events);
  CHECK(f.fake.stats().ambiguous_events > 0);
}

TEST_CASE("Replay: after kill -9 an unanswered delivery is re-sent with the same batch id") {
  ReplayFixture f;
  f.fake.set_mode(FakeMode::kResetAfterBody);
  f.create_account("k1");
  f.ingest("k1", 0, 50);
  REQUIRE(eventually([&] { return f.fake.stats().ambiguous_batches >= 1; }));
  f.kill9();
  f.fake.set_mode(FakeMode::kUp);
  f.restart();
  REQUIRE(eventually([&] { return delivered(f, 50); }));
  DeliveryReport r = report(f.fake);
  check_exactly(r, {{"k1", range(0, 50)}});
  CHECK(r.duplicates >= 50);
}

TEST_CASE("Replay: poison events go to dead letters, the rest is delivered in order") {
  ReplayFixture f;
  FakeScript refuse;
  refuse.reject_marker = kPoison;
  f.fake.set_script(refuse);
  f.create_account("p");
  f.create_account("q");
  const std::set<int> poison = {5, 17, 33};
  f.ingest("p", 0, 40, poison);
  f.ingest("q", 0, 20);
  REQUIRE(eventually([&] { return delivered(f, 57) && dead_total(f, "p") == 3; }));
  check_exactly(report(f.fake), {{"p", without(range(0, 40), poison)}, {"q", range(0, 20)}});
  auto r = f.admin("GET", "/v1/accounts/p/dead?limit=10");
  REQUIRE(r->status == 200);
  json dead = json::parse(r->body)["dead_letters"];
  REQUIRE(dead.size() == 3);
  std::set<int> isolated;
  for (const json& d : dead) {
    isolated.insert(d["event"]["properties"]["n"].get<int>());
    CHECK(d["source"] == "downstream");
    CHECK(d["reason"].get<std::string>().find("HTTP 400") != std::string::npos);
  }
  CHECK(isolated == poison);
  CHECK(dead_total(f, "q") == 0);
  CHECK(eventually([&] { return f.backlog()["totals"]["events"] == 0; }));

  // Requeue once the downstream accepts them again: delivered, in their original order.
  f.fake.set_script(FakeScript{});
  r = f.admin("POST", "/v1/accounts/p/dead/replay");
  REQUIRE(r->status == 200);
  CHECK(json::parse(r->body)["requeued"] == 3);
  REQUIRE(eventually([&] { return delivered(f, 60); }));
  CHECK(dead_total(f, "p") == 0);
  std::vector<int> order = report(f.fake).order["p"];
  REQUIRE(order.size() == 40);
  CHECK(std::vector<int>(order.end() - 3, order.end()) == std::vector<int>{5, 17, 33});

  // A purge deletes without delivering.
  f.fake.set_script(refuse);
  f.ingest("p", 40, 1, {40});
  REQUIRE(eventually([&] { return dead_total(f, "p") == 1; }));
  r = f.admin("DELETE", "/v1/accounts/p/dead");
  REQUIRE(r->status == 200);
  CHECK(json::parse(r->body)["purged"] == 1);
  CHECK(dead_total(f, "p") == 0);
  CHECK(f.fake.stats().unique_events == 60);
}

TEST_CASE("Replay: a replayed event refused for good keeps its replay mark through dead letters") {
  ReplayFixture f({"--retain-delivered-s", "3600"});
  f.create_account("p");
  f.ingest("p", 0, 3, {1});  // accepted while the fake takes everything
  REQUIRE(eventually([&] { return delivered(f, 3) && f.backlog()["totals"]["events"] == 0; }));
  FakeScript refuse;
  refuse.reject_marker = kPoison;
  f.fake.set_script(refuse);
  auto started = f.admin("POST", "/v1/replays",
                         R"({"from":"2000-01-01T00:00:00Z","to":"2100-01-01T00:00:00Z"})");
  REQUIRE(started);
  REQUIRE(started->status == 201);
  const uint64_t id = json::parse(started->body)["id"].get<uint64_t>();
  REQUIRE(eventually([&] { return dead_total(f, "p") == 1; }));
  json dead = json::parse(f.admin("GET", "/v1/accounts/p/dead")->body)["dead_letters"];
  REQUIRE(dead.size() == 1);
  CHECK(dead[0]["replay_id"] == id);

  f.fake.set_script(FakeScript{});
  REQUIRE(f.admin("POST", "/v1/accounts/p/dead/replay")->status == 200);
  REQUIRE(eventually([&] { return delivered(f, 6); }));
  FakeDelivery first, again;
  for (const FakeDelivery& d : f.fake.deliveries()) {
    if (d.event.find(kPoison) == std::string::npos) continue;
    (d.replay_id == 0 ? first : again) = d;
  }
  CHECK(again.replay_id == id);
  CHECK(again.original_seq == first.seq);
  CHECK(again.received_at_ms == first.received_at_ms);  // the original receive time
  CHECK(again.seq != first.seq);
}
