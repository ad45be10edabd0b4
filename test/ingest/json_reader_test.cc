#include "ingest/json_reader.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

using spillway::ingest::parse_json;
using spillway::ingest::parse_ndjson;

namespace {
std::string nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }
}  // namespace

TEST_CASE("JsonReader: parses an object") {
  auto v = parse_json(R"({"a":[1,2,{"b":"c"}]})", 64);
  REQUIRE(v.is_ok());
  CHECK(v.value()["a"][2]["b"] == "c");
}

TEST_CASE("JsonReader: enforces the depth limit exactly") {
  CHECK(parse_json(nested(64), 64).is_ok());
  auto deep = parse_json(nested(65), 64);
  REQUIRE_FALSE(deep.is_ok());
  CHECK(deep.status().message().find("deeper than 64") != std::string::npos);
}

TEST_CASE("JsonReader: 100,000 nested brackets fail fast without recursion") {
  auto v = parse_json(std::string(100'000, '['), 64);
  REQUIRE_FALSE(v.is_ok());
  CHECK(v.status().message().find("deeper") != std::string::npos);
}

TEST_CASE("JsonReader: rejects invalid UTF-8, trailing commas, NaN and 1e400") {
  SUBCASE("utf8") { CHECK_FALSE(parse_json("{\"a\":\"\xff\"}", 64).is_ok()); }
  SUBCASE("overlong") { CHECK_FALSE(parse_json("\"\xc0\xaf\"", 64).is_ok()); }
  SUBCASE("comma") { CHECK_FALSE(parse_json("[1,2,]", 64).is_ok()); }
  SUBCASE("nan") { CHECK_FALSE(parse_json("NaN", 64).is_ok()); }
  SUBCASE("huge") {
    auto v = parse_json("[1e400]", 64);
    REQUIRE_FALSE(v.is_ok());
    CHECK(v.status().message().find("overflow") != std::string::npos);
  }
  SUBCASE("trailing") { CHECK_FALSE(parse_json("{} {}", 64).is_ok()); }
  SUBCASE("empty") { CHECK_FALSE(parse_json("", 64).is_ok()); }
}

TEST_CASE("JsonReader: error names the byte offset") {
  auto v = parse_json(R"({"a":1,})", 64);
  REQUIRE_FALSE(v.is_ok());
  CHECK(v.status().message().find("at byte") != std::string::npos);
}

TEST_CASE("JsonReader: parsed strings can always be dumped") {
  auto v = parse_json("{\"k\":\"\\ud83d\\ude00 \xc3\xa9\"}", 64);
  REQUIRE(v.is_ok());
  CHECK_NOTHROW((void)v.value().dump());
}

TEST_CASE("JsonReader: NDJSON skips blank lines and names the bad line") {
  auto ok = parse_ndjson("{\"a\":1}\n\n{\"b\":2}\r\n", 64);
  REQUIRE(ok.is_ok());
  CHECK(ok.value().size() == 2);
  auto bad = parse_ndjson("{\"a\":1}\n{oops}\n", 64);
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().message().rfind("line 2:", 0) == 0);
}
