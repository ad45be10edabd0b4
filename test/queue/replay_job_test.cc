// Replay jobs (queue/replay_job/, queue/detail/replay_ops.cc): re-enqueueing retained events by
// time range and filters, in order, marked, durable across reopen, cancellable.
#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "queue/record_codec.h"
#include "queue/replay_job/replay_preview.h"
#include "test/queue/replay_fixture.h"

using namespace spillway;
using namespace spillway::queue;
using spillway::test::ReplayFixture;

namespace {

std::string track(const std::string& name, int n) {
  return R"({"type":"track","event":")" + name + R"(","n":)" + std::to_string(n) + "}";
}

}  // namespace

TEST_CASE("ReplayJob: re-enqueues the events delivered in the range, in order, marked") {
  ReplayFixture f;
  AccountId a = f.create("acme");
  f.deliver(a, {"early"});
  const int64_t from = f.clock.wall_ms();
  const int64_t received = f.clock.wall_ms();
  f.deliver(a, {"r1", "r2", "r3"});
  const int64_t to = f.clock.wall_ms() - 1;
  f.deliver(a, {"late"});
  ReplayJob j = f.start({from, to, {}, {}, {}});
  REQUIRE(f.wait_until([&] { return f.job(j.id).state == ReplayState::kDone; }));
  auto queued = f.read(a);
  REQUIRE(queued.size() == 3);
  CHECK(f.payloads(a) == std::vector<std::string>{"r1", "r2", "r3"});
  CHECK(queued[0].replay.job == j.id);
  CHECK(queued[0].replay.seq == Seq{2});  // its seq when first delivered
  CHECK(queued[0].replay.received_ms == received);
  CHECK(queued[2].seq == Seq{8});  // new seqs, behind everything the account had
  CHECK(f.job(j.id).matched == 3);
  CHECK(f.job(j.id).enqueued == 3);
  f.check_consistent();
}

TEST_CASE("ReplayJob: filters by account, type and event name") {
  ReplayFixture f;
  AccountId a = f.create("acme"), b = f.create("beta");
  f.deliver(a, {track("Order Completed", 1), R"({"type":"identify","n":2})"});
  f.deliver(b, {track("Order Completed", 3), track("Page Viewed", 4)});
  SUBCASE("account") {
    f.start({0, f.clock.wall_ms(), {b}, {}, {}});
    REQUIRE(f.wait_until([&] { return f.read(b).size() == 2; }));
    CHECK(f.read(a).empty());
  }
  SUBCASE("type and event") {
    ReplayJob j = f.start({0, f.clock.wall_ms(), {}, {"track"}, {"Order Completed"}});
    REQUIRE(f.wait_until([&] { return f.job(j.id).state == ReplayState::kDone; }));
    CHECK(f.payloads(a) == std::vector<std::string>{track("Order Completed", 1)});
    CHECK(f.payloads(b) == std::vector<std::string>{track("Order Completed", 3)});
  }
  SUBCASE("dry run counts the same without enqueueing") {
    auto p = replay_job::preview_replay(f.wal().env(), {0, f.clock.wall_ms(), {}, {"track"}, {}});
    REQUIRE(p.is_ok());
    CHECK(p->matched == 3);
    CHECK(p->events[a] == 1);
    CHECK(p->events[b] == 2);
    CHECK(f.read(a).empty());
  }
}

TEST_CASE("ReplayJob: replayed events bypass the idempotency index and keep their messageId") {
  ReplayFixture f;
  AccountId a = f.create("acme");
  f.deliver(a, {"m1"});  // appended with idempotency key "key-m1"
  ReplayJob j = f.start({0, f.clock.wall_ms(), {}, {}, {}});
  REQUIRE(f.wait_until([&] { return f.job(j.id).state == ReplayState::kDone; }));
  CHECK(f.payloads(a) == std::vector<std::string>{"m1"});
  // A client retry of the same key is still a duplicate: replay did not touch the index.
  auto retry = f.append(a, {"m1"}, {"key-m1"});
  REQUIRE(retry.is_ok());
  CHECK(retry->duplicates == 1);
}

TEST_CASE("ReplayJob: holds back while the account's queue is full; resumes after a reopen") {
  ReplayFixture f;
  f.options.replay_account_window = 2;
  AccountId a = f.create("acme");
  std::vector<std::string> sent;
  for (int i = 0; i < 7; ++i) sent.push_back("e" + std::to_string(i));
  f.deliver(a, sent);
  ReplayJob j = f.start({0, f.clock.wall_ms(), {}, {}, {}});
  REQUIRE(f.wait_until([&] { return f.job(j.id).enqueued == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  CHECK(f.read(a).size() == 2);  // the window: live events wait behind at most 2 replayed
  f.reopen();
  CHECK(f.job(j.id).enqueued == 2);
  std::vector<std::string> got;
  while (got.size() < sent.size()) {
    REQUIRE(f.wait_until([&] { return !f.read(a).empty(); }));
    for (const auto& e : f.read(a)) got.push_back(e.payload);
    REQUIRE(f.settle(a, f.queued_seqs(a)).is_ok());
  }
  CHECK(got == sent);  // nothing twice, nothing lost, in order
  REQUIRE(f.wait_until([&] { return f.job(j.id).state == ReplayState::kDone; }));
  CHECK(f.job(j.id).delivered == 7);
  f.check_consistent();
}

TEST_CASE("ReplayJob: cancel stops enqueueing; unknown ids are kNotFound") {
  ReplayFixture f;
  f.options.replay_account_window = 1;
  AccountId a = f.create("acme");
  f.deliver(a, {"1", "2", "3"});
  ReplayJob j = f.start({0, f.clock.wall_ms(), {}, {}, {}});
  REQUIRE(f.wait_until([&] { return f.job(j.id).enqueued == 1; }));
  auto cancelled = f.cancel(j.id);
  REQUIRE(cancelled.is_ok());
  CHECK(cancelled->state == ReplayState::kCancelling);
  REQUIRE(f.wait_until([&] { return f.job(j.id).state == ReplayState::kCancelled; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(f.read(a).empty());
  CHECK(f.job(j.id).enqueued == 1);
  CHECK(f.job(j.id).dropped == 1);
  CHECK(f.cancel(99).status().code() == Status::Code::kNotFound);
  f.reopen();
  CHECK(f.job(j.id).state == ReplayState::kCancelled);
  f.check_consistent();
}

TEST_CASE("ReplayJob: delivered replays are retained again with their original receive time") {
  ReplayFixture f;
  AccountId a = f.create("acme");
  const int64_t received = f.clock.wall_ms();
  ReplayJob j = f.replay_one(a, "x");
  REQUIRE(f.settle(a, f.queued_seqs(a)).is_ok());
  REQUIRE(f.wait_until([&] { return f.job(j.id).delivered == 1; }));
  CHECK(f.wal().writer().retained_stats().events == 2);
  // A second job over everything does not see the copies the first delivered after it began.
  ReplayJob k = f.start({0, f.clock.wall_ms() + 10000, {}, {}, {}});
  REQUIRE(f.wait_until([&] { return f.job(k.id).state == ReplayState::kDone; }));
  CHECK(f.job(k.id).matched == 2);
  auto again = f.read(a);
  REQUIRE(again.size() == 2);
  CHECK(again[1].replay.received_ms == received);
}

TEST_CASE("record codec: a replayed event's mark round-trips and is covered by the CRC") {
  std::string v = codec::event_value("{}", 5, ReplayMark{7, Seq{9}, 3});
  auto parsed = codec::parse_event_value(v);
  REQUIRE(parsed.is_ok());
  CHECK(parsed->payload == "{}");
  CHECK(parsed->replay == ReplayMark{7, Seq{9}, 3});
  v[codec::kEventHeaderSize + 7] ^= 1;  // the job id's low byte
  CHECK_FALSE(codec::parse_event_value(v).is_ok());
  CHECK(codec::parse_event_value(codec::event_value("{}", 5))->replay.job == 0);
}

TEST_CASE("ReplayJob: retention expiring rows under a running job skips them and finishes") {
  ReplayFixture f;
  f.options.retain_delivered = std::chrono::seconds(60);
  f.options.replay_account_window = 2;
  AccountId a = f.create("acme");
  f.deliver(a, {"1", "2", "3", "4", "5"});
  ReplayJob j = f.start({0, f.clock.wall_ms(), {}, {}, {}});
  REQUIRE(f.wait_until([&] { return f.job(j.id).enqueued == 2; }));
  f.clock.advance(std::chrono::minutes(5));  // every retained row expires under the job
  REQUIRE(f.wait_until([&] { return f.wal().writer().retained_stats().events == 0; }));
  REQUIRE(f.settle(a, f.queued_seqs(a)).is_ok());
  REQUIRE(f.wait_until([&] { return f.job(j.id).state == ReplayState::kDone; }));
  CHECK(f.job(j.id).enqueued == 2);
  CHECK(f.job(j.id).delivered == 2);
  f.check_consistent();
}

TEST_CASE("ReplayJob: a live event waits behind at most the window of replayed ones") {
  ReplayFixture f;
  f.options.replay_account_window = 2;
  AccountId a = f.create("acme");
  f.deliver(a, {"r0", "r1", "r2", "r3"});
  ReplayJob j = f.start({0, f.clock.wall_ms(), {}, {}, {}});
  REQUIRE(f.wait_until([&] { return f.job(j.id).enqueued == 2; }));
  REQUIRE(f.append(a, {"live"}).is_ok());
  CHECK(f.payloads(a) == std::vector<std::string>{"r0", "r1", "live"});
  auto queued = f.queued_seqs(a);
  REQUIRE(f.settle(a, {queued[0], queued[1]}).is_ok());
  REQUIRE(f.wait_until([&] { return f.job(j.id).enqueued == 3; }));
  CHECK(f.payloads(a) == std::vector<std::string>{"live", "r2"});
}

TEST_CASE("ReplayJob: a replayed event dead-lettered and requeued keeps its mark") {
  ReplayFixture f;
  AccountId a = f.create("acme");
  const int64_t received = f.clock.wall_ms();
  ReplayJob j = f.replay_one(a, "x");
  const StoredEvent sent = f.read(a).front();
  REQUIRE(f.settle(a, {}, {DeadIn{sent.seq, "downstream rejected: 400", 2}}).is_ok());
  auto dead = f.wal().reader().read_dead(a, 10);
  REQUIRE(dead.is_ok());
  REQUIRE(dead->size() == 1);
  CHECK(dead->front().replay == sent.replay);
  auto moved =
      f.wait<Result<uint64_t>>([&](auto done) { f.wal().writer().requeue_dead(a, 10, done); });
  REQUIRE(moved.is_ok());
  CHECK(*moved == 1);
  auto again = f.read(a);
  REQUIRE(again.size() == 1);
  CHECK(again[0].seq == sent.seq);
  CHECK(again[0].replay == ReplayMark{j.id, Seq{1}, received});
  REQUIRE(f.settle(a, {again[0].seq.value}).is_ok());
  REQUIRE(f.wait_until([&] { return f.job(j.id).delivered == 1; }));
  f.check_consistent();
}

TEST_CASE("record codec: a dead letter keeps a replayed event's mark, covered by the CRC") {
  DeadLetter d;
  d.account = AccountId{1};
  d.seq = Seq{5};
  d.reason = "rejected";
  d.payload = "{}";
  d.replay = ReplayMark{7, Seq{9}, 3};
  const std::string key = codec::dead_key(d.account, d.seq);
  std::string v = codec::dead_value(d);
  auto parsed = codec::parse_dead(key, v);
  REQUIRE(parsed.is_ok());
  CHECK(parsed->replay == d.replay);
  CHECK(parsed->payload == "{}");
  CHECK(parsed->reason == "rejected");
  v[v.size() - 3] ^= 1;  // the mark's last byte, just before the payload
  CHECK_FALSE(codec::parse_dead(key, v).is_ok());
  d.replay = {};
  CHECK(codec::parse_dead(key, codec::dead_value(d))->replay.job == 0);
}
