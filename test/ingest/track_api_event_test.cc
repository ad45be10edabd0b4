#include "ingest/track_api_event.h"

#include <doctest/doctest.h>

using namespace spillway::ingest;
using json = nlohmann::json;

TEST_CASE("TrackApiEvent: identify becomes a Segment identify with traits") {
  auto e = track_identify("cust-1", {{"email", "a@b.c"}, {"plan", "pro"}});
  REQUIRE(e.is_ok());
  CHECK(e.value() == json{{"type", "identify"},
                          {"userId", "cust-1"},
                          {"traits", {{"email", "a@b.c"}, {"plan", "pro"}}}});
  CHECK_FALSE(track_identify("c", json::array()).is_ok());
}

TEST_CASE("TrackApiEvent: customer event maps name, data, id and timestamp") {
  auto e = track_customer_event(
      "c1",
      {{"name", "purchase"}, {"data", {{"x", 1}}}, {"id", "ev-1"}, {"timestamp", 1700000000}});
  REQUIRE(e.is_ok());
  CHECK(e.value()["type"] == "track");
  CHECK(e.value()["userId"] == "c1");
  CHECK(e.value()["event"] == "purchase");
  CHECK(e.value()["properties"]["x"] == 1);
  CHECK(e.value()["messageId"] == "ev-1");
  CHECK(e.value()["timestamp"] == "2023-11-14T22:13:20.000Z");
}

TEST_CASE("TrackApiEvent: page events carry the name as page name") {
  auto e = track_customer_event("c1", {{"name", "/home"}, {"type", "page"}});
  REQUIRE(e.is_ok());
  CHECK(e.value()["type"] == "page");
  CHECK(e.value()["name"] == "/home");
}

TEST_CASE("TrackApiEvent: errors name the field") {
  CHECK(track_customer_event("c", json::object()).status().message() ==
        "field \"name\" is required (non-empty string)");
  CHECK(track_customer_event("c", {{"name", "x"}, {"data", 3}}).status().message() ==
        "field \"data\" must be an object");
  CHECK(track_customer_event("c", {{"name", "x"}, {"type", "nope"}})
            .status()
            .message()
            .find("\"type\"") != std::string::npos);
  CHECK(track_customer_event("c", {{"name", "x"}, {"timestamp", "soon"}}).is_ok());
  CHECK_FALSE(track_customer_event("c", {{"name", "x"}, {"timestamp", -5}}).is_ok());
}

TEST_CASE("TrackApiEvent: anonymous events keep anonymous_id") {
  auto e = track_anonymous_event({{"name", "x"}, {"anonymous_id", "anon-9"}});
  REQUIRE(e.is_ok());
  CHECK(e.value()["anonymousId"] == "anon-9");
  CHECK_FALSE(e.value().contains("userId"));
}

TEST_CASE("TrackApiEvent: customer ids are bounded UTF-8") {
  CHECK(check_customer_id("a b").is_ok());
  CHECK_FALSE(check_customer_id("").is_ok());
  CHECK_FALSE(check_customer_id(std::string(151, 'x')).is_ok());
  CHECK_FALSE(check_customer_id("\xff").is_ok());
}

// Regression (fuzz_track_api crasher, test/fuzz/crashers/track_api/): a non-string "type"
// threw nlohmann type_error out of the normaliser, and the router answered 500.
TEST_CASE("TrackApiEvent: a non-string type is a field error, not an exception") {
  for (const json& type : {json{{"price", 1}}, json(3), json::array(), json(true)}) {
    auto e = track_customer_event("c1", {{"name", "purchase"}, {"type", type}});
    REQUIRE_FALSE(e.is_ok());
    CHECK(e.status().message().find("type") != std::string::npos);
    CHECK_FALSE(track_anonymous_event({{"name", "x"}, {"type", type}}).is_ok());
  }
  CHECK(track_customer_event("c1", {{"name", "purchase"}, {"type", nullptr}}).is_ok());
}
