// FM-01 (kill -9 at random instants during ingest + drain) and FM-36 (pause survives a crash):
// the real server against the in-process fake downstream, every cycle checked by the ledger.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "test/reliability/cluster.h"

using namespace spillway::test;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

// Random downstream behaviour per cycle, so kills land in every drain state: fast, slow
// (a backlog builds), briefly failing.
void shuffle_downstream(FakeDownstream& ds, std::mt19937& rng) {
  FakeScript s;
  switch (rng() % 4) {
    case 0:
      break;
    case 1:
      s.capacity = 300;  // throttle (429 at once), never hold requests past the checker's slack
      s.capacity_mode = CapacityMode::kThrottle;
      break;
    case 2:
      s.mode = FakeMode::kError;
      break;
    default:
      s.capacity = 2000;
      s.capacity_mode = CapacityMode::kThrottle;
  }
  ds.set_script(s);
}

bool account_paused(Cluster& c, const std::string& name) {
  auto j = json::parse(c.get("/v1/accounts/" + name), nullptr, false);
  return j.is_object() && j.value("paused", false);
}

size_t deliveries_of(Cluster& c, const std::string& account, double after) {
  size_t n = 0;
  for (const auto& d : c.downstream().deliveries())
    n += d.account == account && d.delivered_at > after ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("FM-01: kill -9 at random instants during ingest and drain keeps I1-I5") {
  const long cycles = env_int("SPILLWAY_FM01_CYCLES", 100);
  const long min_ms = env_int("SPILLWAY_FM01_MIN_MS", 100);
  const long max_ms = env_int("SPILLWAY_FM01_MAX_MS", 600);
  const auto seed = static_cast<unsigned>(env_int("SPILLWAY_SEED", std::random_device{}()));
  std::mt19937 rng(seed);
  std::cout << "FM-01 seed " << seed << " (SPILLWAY_SEED=" << seed << " reproduces)\n";
  // The idempotency index seals every 64 keys in 8 KiB steps: kills land in its transactions.
  Cluster c({"--dedupe-seal-keys", "64", "--dedupe-step-bytes", "8192"});
  REQUIRE(c.start());
  c.add_accounts(static_cast<int>(env_int("SPILLWAY_FM01_ACCOUNTS", 3)), 2);
  double slowest_ready = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (long cycle = 0; cycle < cycles; ++cycle) {
    if (cycle > 0) {
      auto s = std::chrono::steady_clock::now();
      REQUIRE(c.start());
      slowest_ready =
          std::max(slowest_ready,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - s).count());
    }
    shuffle_downstream(c.downstream(), rng);
    c.start_producers(static_cast<int>(env_int("SPILLWAY_FM01_PAUSE_MS", 10)));
    std::this_thread::sleep_for(std::chrono::milliseconds(
        min_ms + static_cast<long>(rng() % static_cast<unsigned>(max_ms - min_ms + 1))));
    c.kill9();
    c.stop_producers();
    CheckReport r = c.check();
    if (!r.ok()) {
      std::cout << "FM-01 cycle " << cycle << " seed " << seed << "\n" << r.text() << "restarts:";
      for (double t : c.input_without_store().restarts) std::cout << " " << std::to_string(t);
      std::cout << "\nserver log:\n" << c.log_tail(60);
      if (const char* dump = std::getenv("SPILLWAY_DUMP_DELIVERIES")) {
        std::ofstream out(dump);
        for (const auto& d : c.downstream().deliveries())
          out << std::to_string(d.delivered_at) << "," << d.account << "," << d.seq << ","
              << d.batch_id << "\n";
      }
      FAIL("FM-01 invariant broken at cycle " << cycle << ", seed " << seed);
    }
  }
  // I8: with faults over, the backlog drains completely.
  c.downstream().set_script(FakeScript{});
  REQUIRE(c.start());
  bool drained = c.wait_drained(60s);
  c.kill9();
  CheckReport r = c.check();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "FM-01: " << cycles << " kill -9 cycles in " << secs << " s, slowest ready "
            << slowest_ready << " s, drained after healing: " << (drained ? "yes" : "NO") << "\n"
            << r.text();
  CHECK(r.ok());
  CHECK(drained);
  CHECK(slowest_ready <= 5.0);
  CHECK(r.acked > static_cast<uint64_t>(cycles));
}

TEST_CASE("FM-36: account and drain pause survive kill -9; no delivery after the pause ack") {
  Cluster c;
  REQUIRE(c.start());
  c.add_accounts(2, 1);
  REQUIRE(c.admin_post("/v1/accounts/acct0/pause") == 200);
  const double paused_at = wall_now();
  for (int i = 0; i < 20; ++i) {
    c.producers()[0]->send_once(c.port());
    c.producers()[1]->send_once(c.port());
  }
  REQUIRE(c.downstream().wait_for_unique(100, 10s));  // acct1 drains
  c.kill9();
  REQUIRE(c.start());
  CHECK(account_paused(c, "acct0"));
  std::this_thread::sleep_for(1500ms);  // the drainer had time to (wrongly) deliver
  CHECK(deliveries_of(c, "acct0", paused_at + 1.0) == 0);

  // The drain-wide pause is durable too.
  REQUIRE(c.admin_post("/v1/drain/pause") == 200);
  const double drain_paused_at = wall_now();
  for (int i = 0; i < 10; ++i) c.producers()[1]->send_once(c.port());
  c.kill9();
  REQUIRE(c.start());
  std::this_thread::sleep_for(1500ms);
  CHECK(deliveries_of(c, "acct1", drain_paused_at + 1.0) == 0);

  // 50 toggles; the state after a crash is the last acknowledged one.
  std::mt19937 rng(std::random_device{}());
  bool last = false;
  for (int i = 0; i < 50; ++i) {
    last = rng() % 2 == 0;
    REQUIRE(c.admin_post(std::string("/v1/accounts/acct0/") + (last ? "pause" : "resume")) == 200);
  }
  c.kill9();
  REQUIRE(c.start());
  CHECK(account_paused(c, "acct0") == last);

  REQUIRE(c.admin_post("/v1/accounts/acct0/resume") == 200);
  REQUIRE(c.admin_post("/v1/drain/resume") == 200);
  CHECK(c.wait_drained(30s));
  c.kill9();
  CheckReport r = c.check();
  std::cout << "FM-36:\n" << r.text();
  CHECK(r.ok());
}
