// Route behaviour end to end without sockets: Router -> routes -> IngestService -> FakeStore.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "common/clock.h"
#include "ingest/admin_routes.h"
#include "ingest/auth.h"
#include "ingest/ingest_service.h"
#include "ingest/router.h"
#include "ingest/segment_routes.h"
#include "ingest/track_api_routes.h"
#include "test/ingest/fake_store.h"
#include "test/support/capture_logger.h"
#include "test/support/manual_clock.h"

using namespace spillway;
using namespace spillway::ingest;
using json = nlohmann::json;

namespace {

constexpr const char* kBasicWk = "Basic d2tfMTIzOg==";        // wk_123:
constexpr const char* kBasicSite = "Basic c2l0ZTE6a2V5MQ==";  // site1:key1

struct RoutesFixture {
  test::FakeStore store;
  test::ManualClock clock;
  test::CaptureLogger log;
  IngestOptions options;
  std::optional<IngestService> service;
  AdminToken admin{"admintok"};
  Router router;

  explicit RoutesFixture(IngestOptions o = {}) : options(o) {
    store.add_key(queue::KeyKind::kWriteKey, "wk_123", AccountId{1});
    store.add_key(queue::KeyKind::kTrackApi, "site1:key1", AccountId{1});
    service.emplace(store, options, clock, log);
    add_segment_routes(router, *service);
    add_track_api_routes(router, *service);
    add_admin_routes(router, *service, admin);
  }

  HttpResponse call(std::string method, std::string path, std::string body,
                    std::optional<std::string> auth = kBasicWk) {
    HttpRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.body = std::move(body);
    r.headers.emplace_back("content-type", "application/json");
    if (auth) r.headers.emplace_back("authorization", *auth);
    std::optional<HttpResponse> got;
    router.dispatch(std::move(r), Responder([&got](HttpResponse resp) { got = std::move(resp); }));
    REQUIRE(got.has_value());
    return *got;
  }
  std::vector<json> stored(size_t append = 0) {
    std::vector<json> out;
    for (const auto& e : store.appends.at(append).events) out.push_back(json::parse(e.payload));
    return out;
  }
};

std::string code_of(const HttpResponse& r) { return json::parse(r.body)["error"]["code"]; }

}  // namespace

TEST_CASE("Routes: a batch stores valid events and dead-letters invalid ones") {
  RoutesFixture f;
  auto r = f.call("POST", "/v1/batch",
                  R"({"batch":[{"type":"track","userId":"u","event":"A","messageId":"m1"},
                               {"type":"track","userId":"u"}]})");
  CHECK(r.status == 200);
  CHECK(json::parse(r.body) ==
        json{{"success", true}, {"stored", 1}, {"duplicates", 0}, {"rejected", 1}});
  REQUIRE(f.store.appends.size() == 1);
  CHECK(f.store.appends[0].account == AccountId{1});
  CHECK(f.store.appends[0].events[0].idempotency_key == "m1");
  CHECK(f.store.appends[0].rejected[0].reason.rfind("batch[1]: track needs", 0) == 0);
  bool has_durability = false;
  for (const auto& [k, v] : r.headers) has_durability |= k == "Spillway-Durability" && v == "fsync";
  CHECK(has_durability);
}

TEST_CASE("Routes: a retried batch is answered 200 and counted as duplicates") {
  RoutesFixture f;
  std::string body = R"({"batch":[{"type":"identify","userId":"u","messageId":"m1"}]})";
  CHECK(f.call("POST", "/v1/batch", body).status == 200);
  auto again = f.call("POST", "/v1/batch", body);
  CHECK(again.status == 200);
  CHECK(json::parse(again.body)["duplicates"] == 1);
}

TEST_CASE("Routes: single-event routes take type from the path; invalid alone is 400") {
  RoutesFixture f;
  CHECK(f.call("POST", "/v1/identify", R"({"userId":"u"})").status == 200);
  CHECK(f.stored()[0]["type"] == "identify");
  auto bad = f.call("POST", "/v1/track", R"({"userId":"u"})");
  CHECK(bad.status == 400);
  CHECK(code_of(bad) == "invalid_event");
  CHECK(f.store.appends.size() == 1);
  auto alone = f.call("POST", "/v1/batch", R"({"batch":[{"type":"track","userId":"u"}]})");
  CHECK(alone.status == 400);
  CHECK(f.store.appends.size() == 1);
}

TEST_CASE("Routes: malformed batches are 400 with the exact reason") {
  RoutesFixture f;
  CHECK(code_of(f.call("POST", "/v1/batch", "{")) == "invalid_json");
  CHECK(code_of(f.call("POST", "/v1/batch", "[]")) == "invalid_batch");
  CHECK(code_of(f.call("POST", "/v1/batch", R"({"x":1})")) == "invalid_batch");
  CHECK(code_of(f.call("POST", "/v1/batch", R"({"batch":{}})")) == "invalid_batch");
  CHECK(code_of(f.call("POST", "/v1/batch", std::string(70, '[') + std::string(70, ']'))) ==
        "invalid_json");
  CHECK(code_of(f.call("POST", "/v1/batch", "")) == "invalid_json");
  CHECK(f.store.appends.empty());
}

TEST_CASE("Routes: batch and event size limits are too_large") {
  IngestOptions o;
  o.max_batch_events = 2;
  o.max_event_bytes = 300;
  RoutesFixture f(o);
  std::string three = R"({"batch":[{"type":"page","userId":"u"},{"type":"page","userId":"u"},
                                   {"type":"page","userId":"u"}]})";
  CHECK(code_of(f.call("POST", "/v1/batch", three)) == "too_large");
  auto big = f.call("POST", "/v1/page",
                    json{{"userId", "u"}, {"properties", {{"p", std::string(400, 'x')}}}}.dump());
  CHECK(big.status == 400);
  CHECK(code_of(big) == "too_large");
  CHECK(f.store.appends.empty());
}

TEST_CASE("Routes: auth failures are 401 and store nothing") {
  RoutesFixture f;
  CHECK(f.call("POST", "/v1/track", R"({"userId":"u","event":"e"})", std::nullopt).status == 401);
  CHECK(f.call("POST", "/v1/track", R"({"userId":"u","event":"e"})", "Basic eDo=").status == 401);
  CHECK(
      f.call("POST", "/v1/track", R"({"userId":"u","event":"e","writeKey":"wk_123"})", std::nullopt)
          .status == 200);
  CHECK(f.store.appends.size() == 1);
}

TEST_CASE("Routes: store refusals map to 429 and 503 with Retry-After") {
  RoutesFixture f;
  auto retry_after = [](const HttpResponse& r) {
    for (const auto& [k, v] : r.headers)
      if (k == "Retry-After") return v;
    return std::string();
  };
  f.store.next_status = Status::resource_exhausted("account acme is over its byte quota");
  auto quota = f.call("POST", "/v1/identify", R"({"userId":"u"})");
  CHECK(quota.status == 429);
  CHECK(retry_after(quota) != "");
  f.store.next_status = Status::unavailable("write queue is full; retry later");
  auto full = f.call("POST", "/v1/identify", R"({"userId":"u"})");
  CHECK(full.status == 503);
  CHECK(retry_after(full) == "1");
  f.store.next_status = Status::unavailable("storage failure: mdb_txn_commit: /data/x EIO");
  auto failed = f.call("POST", "/v1/identify", R"({"userId":"u"})");
  CHECK(failed.status == 503);
  CHECK(failed.body.find("/data/x") == std::string::npos);
  f.store.next_status = Status::shutting_down("spillway is shutting down");
  CHECK(f.call("POST", "/v1/identify", R"({"userId":"u"})").status == 503);
}

TEST_CASE("Routes: per-account rate limit answers 429") {
  IngestOptions o;
  o.account_rate_limit = 1;  // burst of 2
  RoutesFixture f(o);
  CHECK(f.call("POST", "/v1/identify", R"({"userId":"u"})").status == 200);
  CHECK(f.call("POST", "/v1/identify", R"({"userId":"u"})").status == 200);
  CHECK(f.call("POST", "/v1/identify", R"({"userId":"u"})").status == 429);
  f.clock.advance(std::chrono::seconds(1));
  CHECK(f.call("POST", "/v1/identify", R"({"userId":"u"})").status == 200);
}

TEST_CASE("Routes: native /v1/events takes an object, an array or NDJSON") {
  RoutesFixture f;
  CHECK(json::parse(f.call("POST", "/v1/events", R"({"a":1})").body)["stored"] == 1);
  CHECK(json::parse(f.call("POST", "/v1/events", R"([{"a":1},{"b":2}])").body)["stored"] == 2);
  CHECK(json::parse(
            f.call("POST", "/v1/events", "{\"a\":1}\n{\"b\":2}\n{\"c\":3}").body)["stored"] == 3);
  CHECK(f.call("POST", "/v1/events", "3").status == 400);
}

TEST_CASE("Routes: Track API normalises and answers {}") {
  RoutesFixture f;
  auto r = f.call("PUT", "/api/v1/customers/c%201", R"({"email":"a@b.c"})", kBasicSite);
  CHECK(r.status == 200);
  CHECK(r.body == "{}");
  CHECK(f.stored(0)[0]["userId"] == "c 1");
  auto ev =
      f.call("POST", "/api/v1/customers/c1/events", R"({"name":"buy","id":"e1"})", kBasicSite);
  CHECK(ev.status == 200);
  CHECK(f.store.appends[1].events[0].idempotency_key == "e1");
  CHECK(f.call("POST", "/api/v1/events", R"({"name":"x"})", kBasicWk).status == 401);
  CHECK(code_of(f.call("POST", "/api/v1/events", R"({})", kBasicSite)) == "invalid_event");
}

TEST_CASE("Routes: admin account creation") {
  RoutesFixture f;
  std::string bearer = "Bearer admintok";
  auto r =
      f.call("POST", "/v1/admin/accounts", R"({"name":"acme","write_key":"wk_acme_1"})", bearer);
  CHECK(r.status == 201);
  auto body = json::parse(r.body);
  CHECK(body["write_key"] == "wk_acme_1");
  CHECK(body["site_id"].get<std::string>().size() == 20);
  CHECK(f.call("POST", "/v1/admin/accounts", R"({"name":"acme"})", bearer).status == 409);
  CHECK(f.call("POST", "/v1/admin/accounts", R"({"name":"x"})", std::nullopt).status == 401);
  CHECK(f.call("POST", "/v1/admin/accounts", R"({"name":"x"})", "Bearer no").status == 403);
  CHECK(f.call("POST", "/v1/admin/accounts", R"({"name":"x"})", kBasicWk).status == 401);
  CHECK(f.call("POST", "/v1/admin/accounts", R"({"name":"a b"})", bearer).status == 400);
}

TEST_CASE("Routes: readyz follows the store") {
  RoutesFixture f;
  CHECK(f.call("GET", "/readyz", "").status == 200);
  f.store.refused = true;
  CHECK(f.call("GET", "/readyz", "").status == 503);
  f.store.refused = false;
  f.store.health_status = Status::unavailable("storage failure");
  CHECK(f.call("GET", "/readyz", "").status == 503);
  CHECK(f.call("GET", "/healthz", "").status == 200);
}

TEST_CASE("Router: 404, 405 with Allow, path params, handler exceptions") {
  Router router;
  router.add("GET", "/a/{id}", [](HttpRequest r, Responder respond) {
    HttpResponse resp;
    resp.body = std::string(r.param("id").value_or("?"));
    respond(resp);
  });
  router.add("POST", "/boom", [](HttpRequest, Responder) { throw std::runtime_error("x"); });
  auto call = [&](std::string method, std::string path) {
    std::optional<HttpResponse> got;
    HttpRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    router.dispatch(std::move(r), Responder([&](HttpResponse resp) { got = std::move(resp); }));
    return *got;
  };
  CHECK(call("GET", "/a/x%2Fy").body == "x/y");
  CHECK(call("GET", "/nope").status == 404);
  CHECK(call("GET", "/a/b/c").status == 404);
  auto wrong = call("PUT", "/a/1");
  CHECK(wrong.status == 405);
  CHECK(wrong.headers.at(0).second == "GET");
  CHECK(call("POST", "/boom").status == 500);
  CHECK(call("GET", "/a/%zz").status == 400);
}

TEST_CASE("Responder: a dropped responder answers 500 once") {
  int calls = 0;
  int status = 0;
  {
    Responder r([&](HttpResponse resp) {
      ++calls;
      status = resp.status;
    });
    Responder copy = r;
  }
  CHECK(calls == 1);
  CHECK(status == 500);
}
