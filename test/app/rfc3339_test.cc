#include "common/rfc3339.h"

#include <doctest/doctest.h>

using spillway::format_rfc3339_ms;
using spillway::parse_rfc3339_ms;

TEST_CASE("parse_rfc3339_ms: UTC, offsets and fractions; anything else is refused") {
  CHECK(parse_rfc3339_ms("2023-11-14T22:13:20Z") == 1'700'000'000'000);
  CHECK(parse_rfc3339_ms("2023-11-14T22:13:20.123Z") == 1'700'000'000'123);
  CHECK(parse_rfc3339_ms("2023-11-14T22:13:20.1Z") == 1'700'000'000'100);
  CHECK(parse_rfc3339_ms("2023-11-14T23:13:20+01:00") == 1'700'000'000'000);
  CHECK(parse_rfc3339_ms("2023-11-14T21:13:20-01:00") == 1'700'000'000'000);
  CHECK_FALSE(parse_rfc3339_ms("2023-11-14T22:13:20").has_value());  // no offset
  CHECK_FALSE(parse_rfc3339_ms("2023-11-14").has_value());
  CHECK_FALSE(parse_rfc3339_ms("2023-13-14T22:13:20Z").has_value());
  CHECK_FALSE(parse_rfc3339_ms("yesterday").has_value());
  CHECK_FALSE(parse_rfc3339_ms("2023-11-14T22:13:20.Z").has_value());
}

TEST_CASE("format_rfc3339_ms: UTC with milliseconds") {
  CHECK(format_rfc3339_ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_rfc3339_ms(1'700'000'000'123) == "2023-11-14T22:13:20.123Z");
  CHECK(format_rfc3339_ms(-1) == "1969-12-31T23:59:59.999Z");
}
