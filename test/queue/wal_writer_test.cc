#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "test/queue/wal_fixture.h"

using namespace spillway;
using namespace spillway::queue;
using spillway::test::WalFixture;

namespace {
std::string payload(uint32_t account, uint64_t n) {
  return R"({"a":)" + std::to_string(account) + R"(,"n":)" + std::to_string(n) + "}";
}
}  // namespace

TEST_CASE("WalWriter: events keep their order within an account across interleaved accounts") {
  WalFixture f;
  std::vector<AccountId> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(f.create("acct" + std::to_string(i)));
  std::mt19937 rng(7);
  std::map<uint32_t, uint64_t> sent;
  for (int round = 0; round < 300; ++round) {
    AccountId a = ids[rng() % ids.size()];
    std::vector<std::string> batch;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 5); ++k)
      batch.push_back(payload(a.value, sent[a.value]++));
    REQUIRE(f.append(a, batch).is_ok());
  }
  for (AccountId a : ids) {
    auto events = f.read(a);
    REQUIRE(events.size() == sent[a.value]);
    for (uint64_t n = 0; n < events.size(); ++n) {
      CHECK(events[n].payload == payload(a.value, n));
      CHECK(events[n].seq == Seq{n + 1});
    }
  }
  f.check_consistent();
}

TEST_CASE("WalWriter: concurrent submitters are all committed, in per-submitter order") {
  WalFixture f;
  constexpr int kThreads = 8, kPerThread = 200;
  std::vector<AccountId> ids;
  for (int i = 0; i < kThreads; ++i) ids.push_back(f.create("t" + std::to_string(i)));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < kPerThread; ++n) {
        if (!f.append(ids[t], {payload(ids[t].value, n)}).is_ok()) failures++;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  // Concurrent appends go through the inbox (queue/inbox.h): readers see them once moved.
  REQUIRE(f.wait_until([&] { return f.wal().writer().stats().inbox_rows == 0; }));
  for (AccountId a : ids) {
    auto events = f.read(a);
    REQUIRE(events.size() == kPerThread);
    for (int n = 0; n < kPerThread; ++n) CHECK(events[n].payload == payload(a.value, n));
  }
  auto stats = f.wal().writer().stats();
  CHECK(stats.events == kThreads * kPerThread);
  CHECK(stats.commits <= stats.ops);  // groups never exceed one commit per op
}

TEST_CASE("WalWriter: counters equal a cursor scan after random appends and settles") {
  WalFixture f;
  std::vector<AccountId> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(f.create("r" + std::to_string(i)));
  std::mt19937 rng(11);
  for (int step = 0; step < 400; ++step) {
    AccountId a = ids[rng() % ids.size()];
    if (rng() % 3 != 0) {
      std::vector<std::string> batch(1 + rng() % 4, std::string(rng() % 200, 'x'));
      REQUIRE(f.append(a, batch).is_ok());
    } else {
      auto events = f.wal().reader().read(a, Seq{0}, 1 + rng() % 6, UINT64_MAX);
      REQUIRE(events.is_ok());
      std::vector<uint64_t> seqs;
      std::vector<DeadIn> dead;
      for (const auto& e : *events) {
        if (rng() % 5 == 0)
          dead.push_back({e.seq, "rejected", 1});
        else
          seqs.push_back(e.seq.value);
      }
      REQUIRE(f.settle(a, seqs, dead).is_ok());
    }
    if (step % 100 == 99) f.check_consistent();
  }
  f.reopen();
  f.check_consistent();
}

TEST_CASE("WalWriter: a settle deletes only the listed seqs and is harmless when repeated") {
  WalFixture f;
  AccountId a = f.create("acme");
  REQUIRE(f.append(a, {"{}", "{}", "{}", "{}"}).is_ok());
  REQUIRE(f.settle(a, {1, 3}).is_ok());
  REQUIRE(f.settle(a, {1, 3}).is_ok());
  auto events = f.read(a);
  REQUIRE(events.size() == 2);
  CHECK(events[0].seq == Seq{2});
  CHECK(events[1].seq == Seq{4});
  CHECK(f.record(a).head_seq == 2);
  CHECK(f.record(a).depth == 2);
  f.check_consistent();
}

TEST_CASE("WalWriter: a repeated idempotency key inside the window is stored once") {
  WalFixture f;
  AccountId a = f.create("acme");
  AccountId b = f.create("globex");
  auto first = f.append(a, {"{1}", "{2}"}, {"m1", "m2"});
  REQUIRE(first.is_ok());
  CHECK(first->stored == 2);
  f.clock.advance(std::chrono::hours(1));
  auto retry = f.append(a, {"{1}", "{2}", "{3}"}, {"m1", "m2", "m3"});
  REQUIRE(retry.is_ok());
  CHECK(retry->stored == 1);
  CHECK(retry->duplicates == 2);
  CHECK(retry->outcomes[0] == AppendOutcome{Seq{1}, true});
  CHECK(retry->outcomes[1] == AppendOutcome{Seq{2}, true});
  CHECK(retry->outcomes[2] == AppendOutcome{Seq{3}, false});
  SUBCASE("keys are per account") {
    auto other = f.append(b, {"{1}"}, {"m1"});
    REQUIRE(other.is_ok());
    CHECK(other->stored == 1);
  }
  SUBCASE("duplicates inside one request are stored once") {
    auto twice = f.append(a, {"{4}", "{4}"}, {"m4", "m4"});
    REQUIRE(twice.is_ok());
    CHECK(twice->stored == 1);
    CHECK(twice->duplicates == 1);
  }
  f.check_consistent();
}

TEST_CASE("WalWriter: a key is accepted again after its window") {
  WalFixture f;
  f.options.dedupe_window = std::chrono::minutes(10);
  AccountId a = f.create("acme");
  REQUIRE(f.append(a, {"{1}"}, {"m1"}).is_ok());
  f.clock.advance(std::chrono::minutes(11));
  auto again = f.append(a, {"{1}"}, {"m1"});
  REQUIRE(again.is_ok());
  CHECK(again->stored == 1);
  CHECK(f.read(a).size() == 2);
  CHECK(f.append(a, {"{1}"}, {"m1"})->duplicates == 1);  // the new copy's window runs
}

TEST_CASE("WalWriter: a zero window turns deduplication off and stores no keys") {
  WalFixture f;
  f.options.dedupe_window = std::chrono::milliseconds(0);
  AccountId a = f.create("acme");
  auto first = f.append(a, {"{1}", "{1}"}, {"m1", "m1"});
  REQUIRE(first.is_ok());
  CHECK(first->stored == 2);
  CHECK(first->duplicates == 0);
  auto retry = f.append(a, {"{1}"}, {"m1"});
  REQUIRE(retry.is_ok());
  CHECK(retry->stored == 1);
  CHECK(f.read(a).size() == 3);
  // Many keys in one commit: a zero window that still wrote its entries would leave them.
  std::vector<std::string> payloads(300, "{2}");
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) keys.push_back("k" + std::to_string(i));
  auto many = f.append(a, payloads, keys);
  REQUIRE(many.is_ok());
  CHECK(many->stored == 300);
  auto report = check_store(f.wal().env());
  REQUIRE(report.is_ok());
  CHECK(report->dedupe_entries == 0);
  f.check_consistent();
}

TEST_CASE("WalWriter: invalid events of a batch go to dead letters in the same commit") {
  WalFixture f;
  AccountId a = f.create("acme");
  AppendRequest req;
  req.account = a;
  req.events = {{"{good}", ""}};
  req.rejected = {{"{bad}", "event 1: missing userId"}};
  auto r = f.wait<Result<AppendResult>>([&](auto d) { f.wal().writer().append(req, d); });
  REQUIRE(r.is_ok());
  CHECK(r->rejected == 1);
  auto dead = f.wal().reader().read_dead(a, 10);
  REQUIRE(dead.is_ok());
  REQUIRE(dead->size() == 1);
  CHECK((*dead)[0].reason == "event 1: missing userId");
  CHECK((*dead)[0].from_ingest);
  CHECK(f.record(a).dead_count == 1);
  f.check_consistent();
}

TEST_CASE("WalWriter: dead letters requeue at their original seqs, ahead of later events") {
  WalFixture f;
  AccountId a = f.create("acme");
  REQUIRE(f.append(a, {"{1}", "{2}", "{3}", "{4}"}).is_ok());
  REQUIRE(f.settle(a, {1, 3}, {{Seq{2}, "400 from downstream", 3}}).is_ok());
  CHECK(f.record(a).dead_count == 1);
  CHECK(f.read(a).size() == 1);
  auto moved = f.wait<Result<uint64_t>>([&](auto d) { f.wal().writer().requeue_dead(a, 10, d); });
  REQUIRE(moved.is_ok());
  CHECK(*moved == 1);
  auto events = f.read(a);
  REQUIRE(events.size() == 2);
  CHECK(events[0].payload == "{2}");
  CHECK(events[1].payload == "{4}");
  CHECK(f.record(a).head_seq == 2);
  REQUIRE(f.settle(a, {2}, {{Seq{4}, "still bad", 1}}).is_ok());
  auto purged = f.wait<Result<uint64_t>>([&](auto d) { f.wal().writer().purge_dead(a, 10, d); });
  REQUIRE(purged.is_ok());
  CHECK(*purged == 1);
  CHECK(f.record(a).dead_count == 0);
  f.check_consistent();
}

TEST_CASE("WalWriter: account creation refuses duplicate names, taken keys and bad names") {
  WalFixture f;
  f.create("acme", "key-1");
  auto create = [&](std::string name, std::string key) {
    CreateAccountRequest req{std::move(name), {{KeyKind::kWriteKey, std::move(key)}}, 1};
    return f.wait<Result<AccountId>>([&](auto d) { f.wal().writer().create_account(req, d); });
  };
  CHECK(create("acme", "key-2").status().code() == Status::Code::kAlreadyExists);
  CHECK(create("other", "key-1").status().code() == Status::Code::kAlreadyExists);
  CHECK(create("bad name", "key-3").status().code() == Status::Code::kInvalidArgument);
  CHECK(create("", "key-4").status().code() == Status::Code::kInvalidArgument);
  CHECK(create(std::string(129, 'a'), "key-5").status().code() == Status::Code::kInvalidArgument);
  CHECK(f.wal().accounts().size() == 1);
  CHECK(f.wal().reader().lookup_credential(KeyKind::kWriteKey, "key-2").status().code() ==
        Status::Code::kNotFound);
  f.check_consistent();
}

TEST_CASE("WalWriter: appends to an unknown account fail without touching others") {
  WalFixture f;
  AccountId a = f.create("acme");
  auto r = f.append(AccountId{999}, {"{}"});
  CHECK(r.status().code() == Status::Code::kNotFound);
  CHECK(f.append(a, {"{}"}).is_ok());
  f.check_consistent();
}

TEST_CASE("WalWriter: the commit listener names the accounts that got events") {
  WalFixture f;
  AccountId a = f.create("acme");
  std::mutex mu;
  std::vector<AccountId> appended;
  f.wal().writer().set_commit_listener([&](const CommitSummary& s) {
    std::lock_guard<std::mutex> lock(mu);
    appended.insert(appended.end(), s.appended.begin(), s.appended.end());
  });
  REQUIRE(f.append(a, {"{}"}).is_ok());
  std::lock_guard<std::mutex> lock(mu);
  REQUIRE(appended.size() == 1);
  CHECK(appended[0] == a);
}

TEST_CASE("WalWriter: after stop, writes fail with ShuttingDown") {
  WalFixture f;
  AccountId a = f.create("acme");
  f.wal().writer().stop();
  CHECK(f.append(a, {"{}"}).status().code() == Status::Code::kShuttingDown);
}
