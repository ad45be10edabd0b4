#include "ingest/auth.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "test/ingest/fake_store.h"

using namespace spillway;
using namespace spillway::ingest;

namespace {

HttpRequest with_auth(std::string value) {
  HttpRequest r;
  r.headers.emplace_back("authorization", std::move(value));
  return r;
}

}  // namespace

TEST_CASE("Auth: parses Basic credentials") {
  auto b = parse_basic("Basic d2tfMTIzOg==");  // "wk_123:"
  REQUIRE(b.has_value());
  CHECK(b->user == "wk_123");
  CHECK(b->password == "");
  auto t = parse_basic("basic c2l0ZTE6a2V5OndpdGg6Y29sb25z");  // "site1:key:with:colons"
  REQUIRE(t.has_value());
  CHECK(t->user == "site1");
  CHECK(t->password == "key:with:colons");
  CHECK_FALSE(parse_basic("Bearer abc").has_value());
  CHECK_FALSE(parse_basic("Basic !!!").has_value());
  CHECK(base64_decode("YQ").value() == "a");
  CHECK_FALSE(base64_decode("Y").has_value());
}

TEST_CASE("Auth: parses Bearer tokens") {
  CHECK(parse_bearer("Bearer abc").value() == "abc");
  CHECK(parse_bearer("bearer  abc ").value() == "abc");
  CHECK_FALSE(parse_bearer("Bearer ").has_value());
  CHECK_FALSE(parse_bearer("Basic abc").has_value());
}

TEST_CASE("Auth: write key from Basic, else from the body") {
  test::FakeStore store;
  store.add_key(queue::KeyKind::kWriteKey, "wk_123", AccountId{7});
  CHECK(authenticate_write_key(store, with_auth("Basic d2tfMTIzOg=="), nullptr).value() ==
        AccountId{7});
  nlohmann::json body = {{"writeKey", "wk_123"}};
  CHECK(authenticate_write_key(store, HttpRequest{}, &body).value() == AccountId{7});
  SUBCASE("a header wins over the body") {
    auto r = authenticate_write_key(store, with_auth("Basic eDo="), &body);  // "x:"
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == Status::Code::kNotFound);
  }
  SUBCASE("missing credential") {
    CHECK(authenticate_write_key(store, HttpRequest{}, nullptr).status().code() ==
          Status::Code::kNotFound);
  }
  SUBCASE("the message never repeats the key") {
    nlohmann::json bad = {{"writeKey", "secret-canary"}};
    auto r = authenticate_write_key(store, HttpRequest{}, &bad);
    CHECK(r.status().message().find("secret-canary") == std::string::npos);
  }
}

TEST_CASE("Auth: Track API needs site_id:api_key of one account") {
  test::FakeStore store;
  store.add_key(queue::KeyKind::kTrackApi, "site1:key1", AccountId{3});
  CHECK(authenticate_track_api(store, with_auth("Basic c2l0ZTE6a2V5MQ==")).value() ==
        AccountId{3});  // site1:key1
  CHECK_FALSE(authenticate_track_api(store, with_auth("Basic c2l0ZTE6a2V5Mg==")).is_ok());
  CHECK_FALSE(authenticate_track_api(store, with_auth("Basic c2l0ZTE6")).is_ok());  // site1:
  CHECK_FALSE(authenticate_track_api(store, HttpRequest{}).is_ok());
}

TEST_CASE("Auth: admin token check distinguishes missing from wrong") {
  AdminToken token("s3cret");
  CHECK(token.check(with_auth("Bearer s3cret")).is_ok());
  CHECK(token.check(with_auth("Bearer s3cres")).code() == Status::Code::kInvalidArgument);
  CHECK(token.check(HttpRequest{}).code() == Status::Code::kNotFound);
  CHECK(token.check(with_auth("Basic czNjcmV0Og==")).code() == Status::Code::kNotFound);
}
