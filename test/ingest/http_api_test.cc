// Integration: the real `spillway serve` binary on 127.0.0.1:0, driven over HTTP, with the
// store read back through the queue API after the server exited.
#include <doctest/doctest.h>
#include <zlib.h>

#include <map>

#include "test/ingest/server_fixture.h"
#include "test/ingest/store_reader.h"

using namespace spillway::test;
using json = nlohmann::json;

namespace {

constexpr const char* kJson = "application/json";

std::string gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::map<std::string, StoredRow> by_message_id(const std::vector<StoredRow>& rows) {
  std::map<std::string, StoredRow> out;
  for (const auto& r : rows) out[r.message_id] = r;
  return out;
}

// Appends a number without operator+ on temporaries (GCC 12 -Wrestrict false positive).
std::string numbered(std::string prefix, int n) {
  prefix.append(std::to_string(n));
  return prefix;
}

json track(const std::string& id) {
  return {{"type", "track"}, {"userId", "u1"}, {"event", "Clicked"}, {"messageId", id}};
}

}  // namespace

TEST_CASE("HTTP: health, readiness, admin accounts") {
  ServerFixture f;
  CHECK(f.client->Get("/healthz")->status == 200);
  CHECK(f.client->Get("/readyz")->status == 200);
  auto acme = f.create_account("acme");
  CHECK(acme["write_key"].get<std::string>().size() > 8);
  httplib::Headers admin = {{"Authorization", std::string("Bearer ") + kTestAdminToken}};
  CHECK(f.client->Post("/v1/admin/accounts", admin, R"({"name":"acme"})", kJson)->status == 409);
  CHECK(f.client->Post("/v1/admin/accounts", R"({"name":"x"})", kJson)->status == 401);
  httplib::Headers wrong = {{"Authorization", "Bearer nope"}};
  CHECK(f.client->Post("/v1/admin/accounts", wrong, R"({"name":"x"})", kJson)->status == 403);
  CHECK(f.stop() == 0);
  CHECK(f.server->log().find(kTestAdminToken) == std::string::npos);
}

TEST_CASE("HTTP: every ingest route stores Segment-shaped events under the right account") {
  ServerFixture f;
  auto a = f.create_account("a");
  auto b = f.create_account("b");
  std::string ka = ServerFixture::basic(a["write_key"]);
  std::string ta = ServerFixture::basic(a["site_id"], a["api_key"]);
  json batch = {{"batch", {track("b1"), track("b2")}}, {"context", {{"library", "t"}}}};
  auto r = f.post("/v1/batch", batch.dump(), ka);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("Spillway-Durability") == "fsync");
  CHECK(body_of(r) == json{{"success", true}, {"stored", 2}, {"duplicates", 0}, {"rejected", 0}});
  for (const char* type : {"track", "identify", "page", "screen", "group", "alias"}) {
    json e = {{"userId", "u"},
              {"event", "E"},
              {"groupId", "g"},
              {"previousId", "p"},
              {"messageId", std::string("s-") + type}};
    CHECK(f.post(std::string("/v1/") + type, e.dump(), ka)->status == 200);
  }
  json body_key = {{"writeKey", b["write_key"]}, {"batch", {track("wk-body")}}};
  CHECK(f.post("/v1/batch", body_key.dump(), "")->status == 200);
  CHECK(f.post("/v1/events", "{\"messageId\":\"n1\"}\n{\"messageId\":\"n2\"}\n", ka,
               "application/x-ndjson")
            ->status == 200);
  CHECK(f.post("/v1/events", R"([{"messageId":"n3"}])", ka)->status == 200);
  auto put = f.client->Put("/api/v1/customers/c%201", {{"Authorization", ta}},
                           R"({"email":"x@y.z"})", kJson);
  CHECK(put->status == 200);
  CHECK(put->body == "{}");
  CHECK(f.post("/api/v1/customers/c1/events", R"({"name":"buy","id":"t1"})", ta)->body == "{}");
  CHECK(f.post("/api/v1/events", R"({"name":"anon","id":"t2","anonymous_id":"z"})", ta)->status ==
        200);
  REQUIRE(f.stop() == 0);

  auto rows = by_message_id(read_store(f.data));
  CHECK(rows.at("b1").account == "a");
  CHECK(rows.at("wk-body").account == "b");
  CHECK(json::parse(rows.at("s-alias").payload)["type"] == "alias");
  CHECK(json::parse(rows.at("b2").payload)["context"]["library"] == "t");
  CHECK(json::parse(rows.at("b2").payload).contains("receivedAt"));
  CHECK(rows.count("n1") + rows.count("n2") + rows.count("n3") == 3);
  CHECK(json::parse(rows.at("t1").payload)["event"] == "buy");
  CHECK(json::parse(rows.at("t2").payload)["anonymousId"] == "z");
  size_t identifies = 0;
  for (const auto& [id, row] : rows)
    if (json::parse(row.payload)["userId"] == "c 1") ++identifies;
  CHECK(identifies == 1);
}

TEST_CASE("HTTP: a retried batch is stored once; invalid events go to dead letters") {
  ServerFixture f;
  auto key = ServerFixture::basic(f.create_account("a")["write_key"]);
  json batch = {{"batch", {track("m1"), track("m2"), {{"type", "track"}, {"userId", "u"}}}}};
  auto first = f.post("/v1/batch", batch.dump(), key);
  CHECK(body_of(first) ==
        json{{"success", true}, {"stored", 2}, {"duplicates", 0}, {"rejected", 1}});
  auto again = f.post("/v1/batch", batch.dump(), key);
  CHECK(again->status == 200);
  CHECK(body_of(again)["duplicates"] == 2);
  REQUIRE(f.stop() == 0);
  auto rows = read_store(f.data);
  size_t live = 0, dead = 0;
  for (const auto& r : rows) (r.dead ? dead : live)++;
  CHECK(live == 2);
  CHECK(dead == 2);  // the invalid event, once per request (it has no messageId)
}

TEST_CASE("HTTP: bad input gets exact 4xx errors and stores nothing") {
  ServerFixture f({"--max-batch-events", "100"});
  auto a = f.create_account("a");
  auto b = f.create_account("b");
  auto key = ServerFixture::basic(a["write_key"]);
  CHECK(error_code(f.post("/v1/batch", "{\"batch\":[", key)) == "invalid_json");
  CHECK(error_code(f.post("/v1/track", "{\"userId\":\"\xff\",\"event\":\"e\"}", key)) ==
        "invalid_json");
  CHECK(error_code(f.post("/v1/batch", "[1]", key)) == "invalid_batch");
  CHECK(error_code(f.post("/v1/batch", R"({"batch":"x"})", key)) == "invalid_batch");
  CHECK(error_code(f.post("/v1/batch", std::string(100'000, '['), key)) == "invalid_json");
  json many = {{"batch", json::array()}};
  for (int i = 0; i < 101; ++i) many["batch"].push_back(track(numbered("x", i)));
  CHECK(error_code(f.post("/v1/batch", many.dump(), key)) == "too_large");
  auto lonely = f.post("/v1/track", R"({"userId":"u"})", key);
  CHECK(lonely->status == 400);
  CHECK(body_of(lonely)["error"]["message"] ==
        "body: track needs a non-empty string field \"event\"");
  json big_event = track("big");
  big_event["properties"] = {{"blob", std::string(1100 * 1024, 'x')}};
  CHECK(error_code(f.post("/v1/track", big_event.dump(), key)) == "too_large");
  auto huge = f.post("/v1/batch", std::string(6 << 20, ' '), key);
  CHECK(huge->status == 400);
  CHECK(error_code(huge) == "too_large");
  CHECK(f.post("/v1/track", track("x").dump(), "")->status == 401);
  CHECK(f.post("/v1/track", track("x").dump(), ServerFixture::basic("nope"))->status == 401);
  CHECK(f.post("/v1/track", track("x").dump(), key, "text/html")->status == 415);
  CHECK(f.post("/v1/track", track("x").dump(), key, kJson, {{"Content-Encoding", "br"}})->status ==
        415);
  CHECK(f.client->Get("/v1/nope")->status == 404);
  auto m = f.client->Get("/v1/track");
  CHECK(m->status == 405);
  CHECK(m->get_header_value("Allow") == "POST");
  auto mismatch = ServerFixture::basic(a["site_id"], b["api_key"]);
  CHECK(f.post("/api/v1/events", R"({"name":"x"})", mismatch)->status == 401);
  REQUIRE(f.stop() == 0);
  CHECK(read_store(f.data).empty());
  CHECK(f.server->log().find(a["write_key"].get<std::string>()) == std::string::npos);
}

TEST_CASE("HTTP: gzip bodies, a 4 MiB batch, and a gzip bomb") {
  ServerFixture f;
  auto key = ServerFixture::basic(f.create_account("a")["write_key"]);
  json small = {{"batch", {track("gz1")}}};
  auto gz = f.post("/v1/batch", gzip(small.dump()), key, kJson, {{"Content-Encoding", "gzip"}});
  CHECK(gz->status == 200);
  json big = {{"batch", json::array()}};
  for (int i = 0; big.dump().size() < (4u << 20); ++i) {
    json e = track(numbered("big-", i));
    e["properties"] = {{"pad", std::string(900, 'p')}};
    big["batch"].push_back(e);
  }
  auto r = f.post("/v1/batch", big.dump(), key);
  CHECK(r->status == 200);
  CHECK(body_of(r)["stored"] == big["batch"].size());
  auto bomb = f.post("/v1/batch", gzip(std::string(64 << 20, ' ')), key, kJson,
                     {{"Content-Encoding", "gzip"}});
  CHECK(bomb->status == 400);
  CHECK(error_code(bomb) == "too_large");
  CHECK(f.stop() == 0);
  CHECK(read_store(f.data).size() == big["batch"].size() + 1);
}

TEST_CASE("HTTP: quota and rate limits answer 429/503 with Retry-After") {
  SUBCASE("account rate") {
    ServerFixture f({"--account-rate-limit", "1"});
    auto key = ServerFixture::basic(f.create_account("a")["write_key"]);
    int limited = 0;
    for (int i = 0; i < 5; ++i) {
      auto r = f.post("/v1/track", track(numbered("r", i)).dump(), key);
      if (r->status == 429) {
        ++limited;
        CHECK(r->get_header_value("Retry-After") != "");
      }
    }
    CHECK(limited >= 2);
  }
  SUBCASE("account quota and global quota") {
    ServerFixture f({"--max-account-bytes", "4000", "--max-total-bytes", "8000"});
    auto a = ServerFixture::basic(f.create_account("a")["write_key"]);
    auto b = ServerFixture::basic(f.create_account("b")["write_key"]);
    auto c = ServerFixture::basic(f.create_account("c")["write_key"]);
    json e = track("q");
    e["properties"] = {{"pad", std::string(1500, 'x')}};
    e.erase("messageId");
    CHECK(f.post("/v1/track", e.dump(), a)->status == 200);
    CHECK(f.post("/v1/track", e.dump(), a)->status == 200);  // ~1.7 KB each
    auto over = f.post("/v1/track", e.dump(), a);
    CHECK(over->status == 429);
    CHECK(over->get_header_value("Retry-After") != "");
    CHECK(f.post("/v1/track", e.dump(), b)->status == 200);
    CHECK(f.post("/v1/track", e.dump(), b)->status == 200);
    auto full = f.post("/v1/track", e.dump(), c);
    CHECK(full->status == 503);
    CHECK(full->get_header_value("Retry-After") != "");
  }
}

TEST_CASE("HTTP: framing attacks are refused and the connection closed") {
  ServerFixture f;
  auto key = ServerFixture::basic(f.create_account("a")["write_key"]);
  std::string good_body = track("smuggled").dump();
  std::string smuggled =
      "POST /v1/track HTTP/1.1\r\nHost: x\r\nAuthorization: " + key +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(good_body.size()) +
      "\r\n\r\n" + good_body;
  SUBCASE("duplicate Content-Length") {
    auto out = f.raw(
        "POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        "Content-Length: 5\r\n\r\nhello" +
        smuggled);
    CHECK(out.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(out.find("HTTP/1.1 200") == std::string::npos);
  }
  SUBCASE("Content-Length plus Transfer-Encoding") {
    auto out = f.raw(
        "POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
        smuggled);
    CHECK(out.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(out.find("HTTP/1.1 200") == std::string::npos);
  }
  SUBCASE("header too large, with a request pipelined behind it") {
    auto out =
        f.raw("GET /healthz HTTP/1.1\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n" + smuggled);
    CHECK(out.rfind("HTTP/1.1 431", 0) == 0);
    CHECK(out.find("HTTP/1.1 200") == std::string::npos);
  }
  SUBCASE("Content-Length over the limit is refused before the body") {
    auto out = f.raw("POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n");
    CHECK(out.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(out.find("too_large") != std::string::npos);
  }
  SUBCASE("HTTP/2 preface is a 400, never 505") {
    auto out = f.raw("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    CHECK(out.find("505") == std::string::npos);
  }
  CHECK(f.client->Get("/healthz")->status == 200);
  REQUIRE(f.stop() == 0);
  CHECK(read_store(f.data).empty());
}

TEST_CASE("HTTP: idle keep-alive connections time out; SIGTERM exits 0") {
  ServerFixture f({"--idle-timeout-ms", "300", "--header-timeout-ms", "300"});
  auto t0 = std::chrono::steady_clock::now();
  auto out = f.raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");  // keep-alive, then idle
  auto elapsed = std::chrono::steady_clock::now() - t0;
  CHECK(out.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(elapsed < std::chrono::seconds(2));
  auto slow = f.raw("GET /healthz HTTP/1.1\r\nHost");  // never finishes the header
  CHECK(slow.empty());
  CHECK(f.stop() == 0);
}
