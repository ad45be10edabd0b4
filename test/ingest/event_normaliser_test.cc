#include "ingest/event_normaliser.h"

#include <doctest/doctest.h>

using namespace spillway::ingest;
using json = nlohmann::json;

namespace {

struct Fixture {
  MessageIdSource ids;
  EventStamp stamp = make_stamp(1'700'000'000'123, ids);
  PreparedEvent prepare(json e, std::string_view type = "", EventRules rules = EventRules::kSegment,
                        uint64_t max = 1 << 20) {
    auto r = prepare_event(std::move(e), EventDefaults{type, nullptr, nullptr, "batch[0]"}, rules,
                           stamp, max);
    REQUIRE(r.is_ok());
    return r.value();
  }
};

}  // namespace

TEST_CASE("EventNormaliser: adds receivedAt, messageId and type from the path") {
  Fixture f;
  auto e = f.prepare({{"userId", "u1"}, {"event", "Signed Up"}}, "track");
  CHECK(e.reject_reason.empty());
  CHECK(e.idempotency_key.empty());
  auto stored = json::parse(e.payload);
  CHECK(stored["type"] == "track");
  CHECK(stored["receivedAt"] == "2023-11-14T22:13:20.123Z");
  CHECK(stored["messageId"].get<std::string>().rfind("spw-", 0) == 0);
}

TEST_CASE("EventNormaliser: keeps the client's messageId as the idempotency key") {
  Fixture f;
  auto e = f.prepare({{"type", "identify"}, {"userId", "u"}, {"messageId", "m-1"}});
  CHECK(e.idempotency_key == "m-1");
  CHECK(json::parse(e.payload)["messageId"] == "m-1");
}

TEST_CASE("EventNormaliser: the body's type wins over the path's") {
  Fixture f;
  auto e = f.prepare({{"type", "identify"}, {"userId", "u"}}, "track");
  CHECK(json::parse(e.payload)["type"] == "identify");
}

TEST_CASE("EventNormaliser: Segment rules reject with a reason naming the event") {
  Fixture f;
  CHECK(f.prepare({{"type", "track"}, {"userId", "u"}}).reject_reason ==
        "batch[0]: track needs a non-empty string field \"event\"");
  CHECK(f.prepare({{"type", "track"}, {"event", "x"}}).reject_reason ==
        "batch[0]: missing userId or anonymousId");
  CHECK(f.prepare({{"type", "alias"}, {"userId", "u"}}).reject_reason ==
        "batch[0]: alias needs previousId");
  CHECK(f.prepare({{"type", "group"}, {"userId", "u"}}).reject_reason ==
        "batch[0]: group needs groupId");
  CHECK(f.prepare({{"type", "bogus"}, {"userId", "u"}}).reject_reason ==
        "batch[0]: unknown type \"bogus\"");
  CHECK(f.prepare({{"userId", "u"}}).reject_reason == "batch[0]: missing type");
  CHECK(f.prepare(json::array()).reject_reason == "batch[0]: event is not a JSON object");
  CHECK(f.prepare({{"type", "page"}, {"userId", ""}}).reject_reason ==
        "batch[0]: missing userId or anonymousId");
  CHECK(
      f.prepare({{"type", "page"}, {"userId", "u"}, {"messageId", json::object()}}).reject_reason ==
      "batch[0]: messageId must be a string");
}

TEST_CASE("EventNormaliser: valid variants pass") {
  Fixture f;
  CHECK(f.prepare({{"type", "alias"}, {"userId", "u"}, {"previousId", "p"}}).reject_reason == "");
  CHECK(f.prepare({{"type", "group"}, {"anonymousId", "a"}, {"groupId", 7}}).reject_reason == "");
  CHECK(f.prepare({{"type", "screen"}, {"userId", 42}}).reject_reason == "");
}

TEST_CASE("EventNormaliser: writeKey is never stored") {
  Fixture f;
  auto e = f.prepare({{"type", "page"}, {"userId", "u"}, {"writeKey", "secret-key"}});
  CHECK(e.payload.find("secret-key") == std::string::npos);
}

TEST_CASE("EventNormaliser: batch context and sentAt merge under the event's own") {
  Fixture f;
  json ctx = {{"library", "x"}, {"ip", "1.2.3.4"}};
  json sent = "2024-01-01T00:00:00Z";
  json event = {{"type", "page"}, {"userId", "u"}, {"context", {{"ip", "9.9.9.9"}}}};
  auto r = prepare_event(event, EventDefaults{"", &ctx, &sent, "batch[1]"}, EventRules::kSegment,
                         f.stamp, 1 << 20);
  auto stored = json::parse(r.value().payload);
  CHECK(stored["context"]["ip"] == "9.9.9.9");
  CHECK(stored["context"]["library"] == "x");
  CHECK(stored["sentAt"] == sent);
}

TEST_CASE("EventNormaliser: an event over the size limit fails the request") {
  Fixture f;
  json e = {{"type", "page"}, {"userId", "u"}, {"properties", {{"x", std::string(2000, 'a')}}}};
  auto r = prepare_event(e, EventDefaults{"", nullptr, nullptr, "batch[3]"}, EventRules::kSegment,
                         f.stamp, 1000);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().message().rfind("too_large: batch[3] is ", 0) == 0);
}

TEST_CASE("EventNormaliser: object rules accept any object") {
  Fixture f;
  CHECK(f.prepare({{"anything", true}}, "", EventRules::kObject).reject_reason.empty());
  CHECK_FALSE(f.prepare(json(3), "", EventRules::kObject).reject_reason.empty());
}

TEST_CASE("EventStamp: ISO-8601 with milliseconds") {
  CHECK(iso8601_ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK(iso8601_ms(1'700'000'000'123) == "2023-11-14T22:13:20.123Z");
  MessageIdSource ids;
  CHECK(ids.next() != ids.next());
}
