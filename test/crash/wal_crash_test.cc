// Kills a child writer with SIGKILL at random moments, reopens the store, and checks that
// every acknowledged append is present with intact bytes, every acknowledged settle is gone,
// per-account order held, counters equal a scan, and every acknowledged idempotency key still
// inside its window is remembered. A second case runs with a 3 s window, so kills also land in
// expiry (runs dropped whole, merges dropping expired keys). Cycles: SPILLWAY_CRASH_CYCLES (default
// 50); seed: SPILLWAY_CRASH_SEED (default: time), printed so a failure can be replayed.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "common/crc32c.h"
#include "queue/store_check.h"
#include "queue/wal.h"
#include "test/crash/child_process.h"
#include "test/support/capture_logger.h"
#include "test/support/temp_dir.h"

using namespace spillway;

namespace {

using Key = std::pair<uint32_t, uint64_t>;

struct Ledger {
  std::map<Key, uint32_t> present;  // acknowledged appends not yet acknowledged as settled
  struct KeyAck {
    uint64_t seq = 0;
    int64_t submitted_ms = 0;  // the index remembers the key at least until this + window
  };
  std::map<std::pair<uint32_t, std::string>, KeyAck> keys;  // the last acknowledged copy
  std::set<Key> settled;
  uint64_t acked = 0;
  uint64_t keys_acked = 0;
};

// Applies complete lines of one child's output; checks per-account ack order as it goes.
void apply_output(const std::string& out, Ledger& ledger) {
  std::map<uint32_t, uint64_t> last_seq;
  std::istringstream in(out.substr(0, out.rfind('\n') + 1));  // a torn last line is ignored
  std::string tag;
  while (in >> tag) {
    if (tag == "READY") continue;
    uint32_t account = 0;
    uint64_t seq = 0;
    in >> account >> seq;
    if (tag == "A") {
      uint32_t crc = 0;
      in >> crc;
      CHECK_MESSAGE(seq > last_seq[account], "acks out of order for account " << account);
      last_seq[account] = seq;
      ledger.present[{account, seq}] = crc;
      ledger.acked += 1;
    } else if (tag == "P") {
      ledger.present.erase({account, seq});  // in doubt until "S": may be present or gone
    } else if (tag == "K") {
      std::string key;
      int64_t submitted_ms = 0;
      in >> key >> submitted_ms;
      ledger.keys[{account, key}] = {seq, submitted_ms};
      ledger.keys_acked += 1;
    } else if (tag == "S") {
      ledger.present.erase({account, seq});
      ledger.settled.insert({account, seq});
    }
  }
}

// A retry of every acknowledged key still inside its window is a duplicate of its first copy,
// whatever the index was doing when the writer died. Nothing of the retry is stored when the
// check passes. Keys within a second of leaving the window are not retried: the retry's own
// commit time is not known in advance, and past the window forgetting is allowed.
void check_keys_remembered(queue::Wal& wal, const Ledger& ledger, int64_t window_ms) {
  std::map<uint32_t, queue::AppendRequest> retries;
  std::map<uint32_t, std::vector<uint64_t>> expected;
  int64_t now_ms = SystemClock().wall_ms();
  for (const auto& [ak, ack] : ledger.keys) {
    if (now_ms + 1000 >= ack.submitted_ms + window_ms) continue;
    queue::AppendRequest& req = retries[ak.first];
    req.account = AccountId{ak.first};
    req.events.push_back({"{}", ak.second});
    expected[ak.first].push_back(ack.seq);
  }
  for (auto& [account, req] : retries) {
    std::promise<Result<queue::AppendResult>> p;
    wal.writer().append(std::move(req), [&p](auto r) { p.set_value(std::move(r)); });
    auto r = p.get_future().get();
    REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
    for (size_t i = 0; i < r->outcomes.size(); ++i) {
      CHECK_MESSAGE(r->outcomes[i].duplicate, "acknowledged key forgotten, account " << account);
      CHECK(r->outcomes[i].seq.value == expected[account][i]);
    }
  }
}

// Returns the idempotency keys the store holds (key log and runs).
uint64_t check_store_against(const std::string& dir, const Ledger& ledger, int64_t window_ms) {
  test::CaptureLogger log;
  SystemClock clock;
  queue::WalOptions options;
  options.dir = dir;
  options.map_size = uint64_t{1} << 30;
  options.dedupe_window = std::chrono::milliseconds(window_ms);
  options.dedupe_seal_interval = options.dedupe_window / 8;
  auto wal = queue::Wal::open(options, clock, log);
  REQUIRE_MESSAGE(wal.is_ok(), wal.status().to_string());
  for (const auto& [key, crc] : ledger.present) {
    auto ev = (*wal)->reader().read(AccountId{key.first}, Seq{key.second}, 1, UINT64_MAX);
    REQUIRE(ev.is_ok());
    bool found = !ev->empty() && (*ev)[0].seq.value == key.second;
    CHECK_MESSAGE(found, "acknowledged event lost: account " << key.first << " seq " << key.second);
    if (found) CHECK(crc32c((*ev)[0].payload) == crc);
  }
  for (const Key& key : ledger.settled) {
    auto ev = (*wal)->reader().read(AccountId{key.first}, Seq{key.second}, 1, UINT64_MAX);
    REQUIRE(ev.is_ok());
    bool back = !ev->empty() && (*ev)[0].seq.value == key.second;
    CHECK_MESSAGE(!back, "settled event came back: account " << key.first << " seq " << key.second);
  }
  auto report = queue::check_store((*wal)->env());
  REQUIRE(report.is_ok());
  for (const auto& p : report->problems) FAIL_CHECK(p);
  check_keys_remembered(**wal, ledger, window_ms);
  return report->dedupe_entries;
}

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

// Runs `cycles` child lifetimes on one store (more if they took less than `min_duration`),
// each killed at a random moment, checking the store after each. Returns the ledger and the
// keys the store held at the last check.
std::pair<Ledger, uint64_t> crash_cycles(int64_t window_ms,
                                         std::chrono::milliseconds min_duration = {}) {
  const char* child = std::getenv("SPILLWAY_CRASH_CHILD");
  REQUIRE_MESSAGE(child != nullptr, "SPILLWAY_CRASH_CHILD must name wal_crash_child");
  int cycles = env_int("SPILLWAY_CRASH_CYCLES", 50);
  auto seed =
      static_cast<uint64_t>(env_int("SPILLWAY_CRASH_SEED", static_cast<int>(time(nullptr))));
  MESSAGE("seed " << seed << ", " << cycles << " cycles (SPILLWAY_CRASH_SEED to replay)");
  std::mt19937_64 rng(seed);
  test::TempDir dir;
  std::string data = dir.sub("data");
  Ledger ledger;
  uint64_t stored_keys = 0;
  auto min_until = std::chrono::steady_clock::now() + min_duration;
  for (int cycle = 0; cycle < cycles || std::chrono::steady_clock::now() < min_until; ++cycle) {
    std::string out;
    {
      test::ChildProcess proc({child, data, std::to_string(rng()), std::to_string(window_ms)});
      auto ready_by = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (out.find("READY\n") == std::string::npos &&
             proc.read_until(std::min(ready_by, std::chrono::steady_clock::now() +
                                                    std::chrono::milliseconds(20)),
                             out)) {
        if (std::chrono::steady_clock::now() > ready_by) break;
      }
      REQUIRE_MESSAGE(out.find("READY\n") != std::string::npos,
                      "child did not start, cycle " << cycle);
      auto kill_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(5 + rng() % 150);
      proc.read_until(kill_at, out);
      int status = proc.kill_and_reap(SIGKILL, out);
      CHECK(WIFSIGNALED(status));
    }
    apply_output(out, ledger);
    stored_keys = check_store_against(data, ledger, window_ms);
  }
  MESSAGE(ledger.acked << " acknowledged appends checked, " << ledger.settled.size()
                       << " acknowledged settles checked, " << ledger.keys_acked
                       << " acknowledged keys, " << stored_keys << " held at the end");
  CHECK(ledger.acked > 0);
  return {ledger, stored_keys};
}

}  // namespace

TEST_CASE("crash: every acknowledged event survives SIGKILL of the writer") {
  crash_cycles(int64_t{24} * 3600 * 1000);
}

TEST_CASE("crash: keys inside the window survive SIGKILL during expiry") {
  // 3 s window, sealed every 375 ms or 256 keys, cycles for at least four windows: runs are
  // dropped and merges drop keys while the child is killed. Without expiry the store would
  // hold every acknowledged key (and those acknowledged just before a kill, never reported).
  auto [ledger, stored_keys] = crash_cycles(3000, std::chrono::seconds(12));
  CHECK_MESSAGE(stored_keys < ledger.keys_acked * 3 / 4,
                "expiry dropped too little: " << stored_keys << " of " << ledger.keys_acked);
}
