#include "queue/record_codec.h"

#include <doctest/doctest.h>

using namespace spillway;
using namespace spillway::queue;

TEST_CASE("record_codec: event keys sort by account, then seq") {
  CHECK(codec::event_key(AccountId{1}, Seq{2}) < codec::event_key(AccountId{1}, Seq{10}));
  CHECK(codec::event_key(AccountId{1}, Seq{UINT64_MAX}) < codec::event_key(AccountId{2}, Seq{0}));
  auto k = codec::parse_event_key(codec::event_key(AccountId{7}, Seq{1ull << 40}));
  REQUIRE(k);
  CHECK(k->account == AccountId{7});
  CHECK(k->seq == Seq{1ull << 40});
  CHECK_FALSE(codec::parse_event_key("short"));
}

TEST_CASE("record_codec: event value round-trips and detects a flipped byte") {
  std::string v = codec::event_value(R"({"type":"track"})", 1234);
  auto ok = codec::parse_event_value(v);
  REQUIRE(ok.is_ok());
  CHECK(ok->payload == R"({"type":"track"})");
  CHECK(ok->enqueue_ms == 1234);
  v[codec::kEventHeaderSize + 3] ^= 0x01;
  auto bad = codec::parse_event_value(v);
  CHECK(bad.status().code() == Status::Code::kCorruption);
  CHECK(codec::parse_event_value("x").status().code() == Status::Code::kCorruption);
}

TEST_CASE("record_codec: account record round-trips and rejects truncation") {
  AccountRecord r;
  r.id = AccountId{42};
  r.name = "acme";
  r.next_seq = 99;
  r.head_seq = 50;
  r.depth = 49;
  r.bytes = 4900;
  r.oldest_ms = 17;
  r.dead_count = 2;
  r.dead_bytes = 30;
  r.weight = 3;
  r.paused = true;
  r.created_ms = 5;
  std::string v = codec::account_value(r);
  auto back = codec::parse_account(codec::account_key(r.id), v);
  REQUIRE(back.is_ok());
  CHECK(*back == r);
  auto cut = codec::parse_account(codec::account_key(r.id), v.substr(0, v.size() - 1));
  CHECK(cut.status().code() == Status::Code::kCorruption);
}

TEST_CASE("record_codec: dead letter round-trips with its CRC") {
  DeadLetter d{AccountId{3}, Seq{9}, 100, 200, 4, true, "missing userId", R"({"a":1})", {}};
  std::string v = codec::dead_value(d);
  auto back = codec::parse_dead(codec::dead_key(d.account, d.seq), v);
  REQUIRE(back.is_ok());
  CHECK(back->reason == d.reason);
  CHECK(back->payload == d.payload);
  CHECK(back->attempts == 4);
  CHECK(back->from_ingest);
  v.back() ^= 0x20;
  CHECK(codec::parse_dead(codec::dead_key(d.account, d.seq), v).status().code() ==
        Status::Code::kCorruption);
}

TEST_CASE("record_codec: credential keys differ by kind and never contain the secret") {
  std::string a = codec::credential_key(KeyKind::kWriteKey, "secret-123");
  std::string b = codec::credential_key(KeyKind::kTrackApi, "secret-123");
  CHECK(a != b);
  CHECK(a.size() == 32);
  CHECK(a.find("secret") == std::string::npos);
}
