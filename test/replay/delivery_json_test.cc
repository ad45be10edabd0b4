#include "replay/delivery_json.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "test/replay/sink_fixture.h"

namespace spillway::replay {
namespace {

using nlohmann::json;
using test::item;

TEST_CASE("delivery_json: strings are escaped and invalid UTF-8 replaced") {
  CHECK(json_quote("a\"b\\c\n") == R"("a\"b\\c\n")");
  CHECK(json_quote(std::string("\x01", 1)) == R"("\u0001")");
  CHECK(json_quote("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
  CHECK(json_quote("bad\xff") == R"("bad\ufffd")");
  CHECK(!json::parse(json_quote("x\xc0\xafy"), nullptr, false).is_discarded());
}

TEST_CASE("delivery_json: batch body has the documented shape and embeds events verbatim") {
  DeliveryBatch b;
  b.batch_id = "b-42";
  const std::string odd = R"({"z" : [1, 2.50, "x"],  "a":{"k":null}})";
  b.items = {item("acme", 7, odd, 1'700'000'000'123), item("beta\"co", 9, "")};
  const std::string body = encode_batch_body(b);
  CHECK(body.find(odd) != std::string::npos);  // bytes, not a re-serialization
  const json j = json::parse(body, nullptr, false);
  REQUIRE(!j.is_discarded());
  CHECK(j["batch_id"] == "b-42");
  REQUIRE(j["events"].size() == 2);
  const json& e = j["events"][0];
  CHECK(e["account"] == "acme");
  CHECK(e["seq"] == 7);
  CHECK(e["received_at"] == "2023-11-14T22:13:20.123Z");
  CHECK(e["received_at_ms"] == 1'700'000'000'123);
  CHECK(e["event"]["z"][1] == 2.5);
  CHECK(j["events"][1]["account"] == "beta\"co");
  CHECK(j["events"][1]["event"].is_null());
}

TEST_CASE("delivery_json: NDJSON lines carry batch_id first, one event per line") {
  DeliveryBatch b;
  b.batch_id = "b-1";
  b.items = {item("acme", 1, R"({"n":1})"), item("acme", 2, R"({"n":2})")};
  const std::string lines = encode_ndjson_lines(b);
  CHECK(lines.rfind(R"({"batch_id":"b-1","account":"acme","seq":1,)", 0) == 0);
  CHECK(std::count(lines.begin(), lines.end(), '\n') == 2);
  CHECK(lines.back() == '\n');
}

}  // namespace
}  // namespace spillway::replay
