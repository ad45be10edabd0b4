// Cancelling a replay job (queue/detail/replay_drop.cc): the job's undelivered events leave
// their queues in bounded steps, durably; live events and other jobs' stay, in order.
#include <doctest/doctest.h>

#include <mutex>

#include "queue/lmdb_env.h"
#include "queue/lmdb_txn.h"
#include "queue/replay_job/job_codec.h"
#include "test/queue/replay_fixture.h"

using namespace spillway;
using namespace spillway::queue;
using spillway::test::ReplayFixture;

namespace {

using Payloads = std::vector<std::string>;

bool job_in(ReplayFixture& f, uint64_t id, ReplayState state) {
  return f.wait_until([&] { return f.job(id).state == state; });
}

// Writes a job row as a crash right after its transaction committed would leave it.
void store_job(ReplayFixture& f, const ReplayJob& job) {
  f.close();
  auto env = LmdbEnv::open({f.options.dir, f.options.map_size, f.options.max_readers, false});
  REQUIRE(env.is_ok());
  auto txn = WriteTxn::begin((*env)->get());
  REQUIRE(txn.is_ok());
  REQUIRE(txn->put((*env)->tables().replay_jobs, replay_job::codec::job_key(job.id),
                   replay_job::codec::job_value(job))
              .is_ok());
  REQUIRE(txn->commit().is_ok());
}

}  // namespace

TEST_CASE("ReplayCancel: drops only that job's queued events; live and others' stay in order") {
  ReplayFixture f;
  AccountId a = f.create("acme"), b = f.create("beta");
  const int64_t t0 = f.clock.wall_ms();
  f.deliver(a, {"x1", "x2"});
  f.deliver(b, {"x3"});
  const int64_t t1 = f.clock.wall_ms();
  f.deliver(a, {"y1"});
  ReplayJob x = f.start({t0, t1 - 1, {}, {}, {}});
  REQUIRE(job_in(f, x.id, ReplayState::kDone));
  REQUIRE(f.append(a, {"live1"}).is_ok());
  ReplayJob y = f.start({t1, f.clock.wall_ms(), {}, {}, {}});
  REQUIRE(job_in(f, y.id, ReplayState::kDone));
  REQUIRE(f.append(a, {"live2"}).is_ok());
  REQUIRE(f.payloads(a) == Payloads{"x1", "x2", "live1", "y1", "live2"});
  const uint64_t bytes = f.record(a).bytes;

  auto cancelled = f.cancel(x.id);
  REQUIRE(cancelled.is_ok());
  CHECK(cancelled->state == ReplayState::kCancelling);
  REQUIRE(job_in(f, x.id, ReplayState::kCancelled));
  CHECK(f.payloads(a) == Payloads{"live1", "y1", "live2"});
  CHECK(f.read(b).empty());
  CHECK(f.job(x.id).enqueued == 3);
  CHECK(f.job(x.id).dropped == 3);
  CHECK(f.job(x.id).delivered == 0);
  CHECK(f.job(x.id).finished_ms != 0);
  CHECK(f.job(y.id).state == ReplayState::kDone);
  CHECK(f.job(y.id).dropped == 0);
  CHECK(f.record(a).depth == 3);
  CHECK(f.record(a).bytes == bytes - 4);
  CHECK(f.record(a).head_seq == f.queued_seqs(a).front());
  CHECK(f.record(b).depth == 0);
  f.check_consistent();
}

TEST_CASE("ReplayCancel: a job whose events were all delivered stays done") {
  ReplayFixture f;
  AccountId a = f.create("acme");
  ReplayJob j = f.replay_one(a, "1");
  REQUIRE(f.settle(a, f.queued_seqs(a)).is_ok());
  REQUIRE(f.wait_until([&] { return f.job(j.id).delivered == 1; }));
  auto r = f.cancel(j.id);
  REQUIRE(r.is_ok());
  CHECK(r->state == ReplayState::kDone);
  CHECK(r->dropped == 0);
}

TEST_CASE("ReplayCancel: the drop runs in bounded steps, one commit each") {
  ReplayFixture f;
  f.options.replay_account_window = 2000;
  AccountId a = f.create("acme");
  Payloads many;
  for (int i = 0; i < 1200; ++i) many.push_back("e" + std::to_string(i));
  auto appended = f.append(a, many);
  REQUIRE(appended.is_ok());
  std::vector<uint64_t> seqs;
  for (const AppendOutcome& o : appended->outcomes) seqs.push_back(o.seq.value);
  REQUIRE(f.settle(a, seqs).is_ok());
  ReplayJob j = f.start({0, f.clock.wall_ms(), {}, {}, {}});
  REQUIRE(job_in(f, j.id, ReplayState::kDone));
  REQUIRE(f.job(j.id).enqueued == 1200);
  REQUIRE(f.append(a, {"live"}).is_ok());

  // Every commit sees the jobs as the one before it published them: each step's progress.
  std::mutex mu;
  std::vector<uint64_t> seen;
  f.wal().writer().set_commit_listener([&](const CommitSummary&) {
    for (const ReplayJob& k : f.wal().writer().replay_jobs()) {
      std::lock_guard<std::mutex> lock(mu);
      if (k.id == j.id) seen.push_back(k.dropped);
    }
  });
  REQUIRE(f.cancel(j.id).is_ok());
  REQUIRE(job_in(f, j.id, ReplayState::kCancelled));
  f.wal().writer().set_commit_listener(nullptr);
  std::lock_guard<std::mutex> lock(mu);
  seen.push_back(f.job(j.id).dropped);
  CHECK(seen.back() == 1200);
  int steps = 0;
  for (size_t i = 1; i < seen.size(); ++i) {
    CHECK(seen[i] - seen[i - 1] <= 512);  // kDropRows rows looked at per step
    steps += seen[i] != seen[i - 1] ? 1 : 0;
  }
  CHECK(steps >= 3);
  CHECK(f.payloads(a) == Payloads{"live"});
  f.check_consistent();
}

TEST_CASE("ReplayCancel: a settle of events dropped while in flight changes nothing") {
  ReplayFixture f;
  AccountId a = f.create("acme");
  f.deliver(a, {"1", "2", "3"});
  ReplayJob j = f.start({0, f.clock.wall_ms(), {}, {}, {}});
  REQUIRE(job_in(f, j.id, ReplayState::kDone));
  const std::vector<uint64_t> in_flight = f.queued_seqs(a);  // read and sent by the drainer
  REQUIRE(in_flight.size() == 3);
  REQUIRE(f.cancel(j.id).is_ok());
  REQUIRE(job_in(f, j.id, ReplayState::kCancelled));
  REQUIRE(f.settle(a, {in_flight[0], in_flight[1]}, {DeadIn{Seq{in_flight[2]}, "rejected", 1}})
              .is_ok());
  CHECK(f.read(a).empty());
  CHECK(f.record(a).depth == 0);
  CHECK(f.record(a).dead_count == 0);
  CHECK(f.job(j.id).dropped == 3);
  CHECK(f.job(j.id).delivered == 0);
  CHECK(f.wal().writer().retained_stats().events == 3);  // not retained a second time
  f.check_consistent();
}

TEST_CASE("ReplayCancel: a cancel committed before a crash drops at the next open") {
  ReplayFixture f;
  AccountId a = f.create("acme");
  f.deliver(a, {"1", "2"});
  ReplayJob j = f.start({0, f.clock.wall_ms(), {}, {}, {}});
  REQUIRE(job_in(f, j.id, ReplayState::kDone));
  REQUIRE(f.append(a, {"live"}).is_ok());
  ReplayJob cancelling = f.job(j.id);
  cancelling.state = ReplayState::kCancelling;
  cancelling.finished_ms = 0;
  store_job(f, cancelling);
  f.open();
  REQUIRE(job_in(f, j.id, ReplayState::kCancelled));
  CHECK(f.payloads(a) == Payloads{"live"});
  CHECK(f.job(j.id).dropped == 2);
  f.check_consistent();
}

TEST_CASE("replay job codec: version 1 rows until a drop, version 2 after; both decode") {
  ReplayJob j;
  j.id = 3;
  j.spec = {1, 2, {AccountId{4}}, {"track"}, {"Order Completed"}};
  j.state = ReplayState::kDone;
  j.matched = 5;
  j.enqueued = 5;
  j.delivered = 4;
  const std::string key = replay_job::codec::job_key(j.id);
  const std::string v1 = replay_job::codec::job_value(j);
  CHECK(v1[0] == '\x01');  // what builds from before the drop wrote, and still read
  auto old = replay_job::codec::parse_job(key, v1);
  REQUIRE(old.is_ok());
  CHECK(*old == j);
  j.state = ReplayState::kCancelling;
  j.dropped = 7;
  j.drop = DropCursor{2, 9, 11};
  const std::string v2 = replay_job::codec::job_value(j);
  CHECK(v2[0] == '\x02');
  CHECK(v2.size() == v1.size() + 28);
  auto now = replay_job::codec::parse_job(key, v2);
  REQUIRE(now.is_ok());
  CHECK(*now == j);
}
