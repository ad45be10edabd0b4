// FM-27..FM-31: the downstream is down for a long time, hangs or trickles, answers 5xx/429 with
// Retry-After, resets after reading the body, or rejects one event for good. Nothing acked is
// lost, per-account order holds, duplicates only where I4 allows them, and the backlog drains
// completely once the downstream heals (I8).
#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "test/reliability/cluster.h"

using namespace spillway::test;
using namespace std::chrono_literals;

namespace {

// CPU seconds (user + system) the process has used, from /proc/PID/stat.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string f;
  double ticks = 0;
  for (int i = 3; fields >> f; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(f);
    if (i == 15) break;
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Ingest for `d` with the downstream in `script`, then heal it and check I1-I6 and I8.
CheckReport fault_then_heal(Cluster& c, const FakeScript& script, std::chrono::milliseconds d,
                            bool& drained) {
  c.downstream().set_script(script);
  c.start_producers(20);
  std::this_thread::sleep_for(d);
  c.stop_producers();
  c.downstream().set_script(FakeScript{});
  drained = c.wait_drained(60s);
  if (!drained) std::cout << "not drained: " << c.get("/v1/backlog") << "\n" << c.log_tail();
  c.kill9();
  return c.check();
}

void report(const char* name, Cluster& c, const CheckReport& r, bool drained) {
  std::cout << name << ": downstream " << c.downstream().stats_json() << "\n"
            << "drained after healing: " << (drained ? "yes" : "NO") << "\n"
            << r.text();
}

}  // namespace

TEST_CASE("FM-27: downstream down for a long time: no busy loop, ingest unaffected, drains") {
  const long down_s = env_int("SPILLWAY_FM27_DOWN_S", 20);
  Cluster c({"--retry-max-ms", "5000"});
  REQUIRE(c.start());
  c.add_accounts(3, 1);
  c.downstream().set_mode(FakeMode::kDown);
  c.start_producers(20);
  std::this_thread::sleep_for(std::chrono::seconds(down_s / 2));
  c.stop_producers();
  // Quiet period: nothing to do but wait for the downstream. CPU must stay near zero.
  const double cpu0 = cpu_seconds(c.server().pid());
  std::this_thread::sleep_for(std::chrono::seconds(down_s / 2));
  const double cpu_pct = 100 * (cpu_seconds(c.server().pid()) - cpu0) / (down_s / 2.0);
  CHECK(c.ledger().count(Outcome::kFailed) == 0);
  CHECK(c.ledger().count(Outcome::kIndeterminate) == 0);
  c.downstream().set_mode(FakeMode::kUp);
  const auto healed = std::chrono::steady_clock::now();
  bool drained = c.wait_drained(60s);
  const double drain_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - healed).count();
  c.kill9();
  CheckReport r = c.check();
  std::cout << "FM-27: down " << down_s << " s, server CPU while waiting " << cpu_pct
            << "%, backlog of " << r.acked << " drained in " << drain_s << " s\n";
  report("FM-27", c, r, drained);
  CHECK(cpu_pct < 5.0);
  CHECK(drained);
  CHECK(r.ok());
}

TEST_CASE("FM-28: downstream hangs, then trickles: attempts time out, nothing is stuck") {
  Cluster c({"--sink-timeout-ms", "1000"});
  REQUIRE(c.start());
  c.add_accounts(2, 1);
  FakeScript hang;
  hang.mode = FakeMode::kHang;
  bool drained = false;
  CheckReport r = fault_then_heal(c, hang, 5s, drained);
  report("FM-28 hang", c, r, drained);
  CHECK(c.downstream().stats().hung > 0);
  CHECK(drained);
  CHECK(r.ok());

  REQUIRE(c.start());
  FakeScript trickle;
  trickle.mode = FakeMode::kTrickle;
  trickle.trickle_interval = 300ms;
  r = fault_then_heal(c, trickle, 5s, drained);
  report("FM-28 trickle", c, r, drained);
  CHECK(drained);
  CHECK(r.ok());
}

TEST_CASE("FM-29: 503 and 429 with Retry-After are honoured, no retry storm") {
  Cluster c;
  REQUIRE(c.start());
  c.add_accounts(2, 1);
  FakeScript error;
  error.mode = FakeMode::kError;
  error.error_status = 503;
  error.error_retry_after = true;
  error.retry_after_s = 2;
  bool drained = false;
  const uint64_t before = c.downstream().stats().requests;
  CheckReport r = fault_then_heal(c, error, 6s, drained);
  const FakeStats s503 = c.downstream().stats();
  report("FM-29 503", c, r, drained);
  // Retry-After: 2 over 6 s: a handful of attempts, not a storm.
  CHECK(s503.errors <= 12);
  CHECK(drained);
  CHECK(r.ok());

  REQUIRE(c.start());
  FakeScript throttle;
  throttle.mode = FakeMode::kThrottle;
  throttle.retry_after_s = 2;
  const uint64_t throttled0 = c.downstream().stats().throttled;
  r = fault_then_heal(c, throttle, 6s, drained);
  const uint64_t throttled = c.downstream().stats().throttled - throttled0;
  report("FM-29 429", c, r, drained);
  std::cout << "FM-29: 503 answers " << s503.errors << " (requests " << s503.requests - before
            << "), 429 answers " << throttled << ", each over 6 s with Retry-After: 2\n";
  CHECK(throttled <= 12);
  CHECK(drained);
  CHECK(r.ok());
}

TEST_CASE("FM-30: reset after the body (ack lost): re-sent with the same ids, never lost") {
  Cluster c({"--sink-timeout-ms", "1000"});
  REQUIRE(c.start());
  c.add_accounts(2, 1);
  FakeScript reset;
  reset.mode = FakeMode::kResetAfterBody;
  bool drained = false;
  CheckReport r = fault_then_heal(c, reset, 4s, drained);
  report("FM-30", c, r, drained);
  CHECK(c.downstream().stats().ambiguous_events > 0);
  CHECK(c.downstream().stats().missing_idempotency_key == 0);
  CHECK(drained);
  CHECK(r.ok());
}

TEST_CASE("FM-31: a poison event is dead-lettered, the rest is delivered in order") {
  Cluster c;
  REQUIRE(c.start());
  c.add_accounts(2, 1);
  c.downstream().set_mode(FakeMode::kDown);
  for (int i = 0; i < 10; ++i)
    for (auto& p : c.producers()) REQUIRE(p->send_once(c.port()) == Outcome::kOk);
  // The 23rd event of acct0 (the closing quote pins the exact messageId).
  const std::string poison = c.run_id() + "-acct0-p0-23\"";
  FakeScript s;
  s.reject_marker = poison;
  c.downstream().set_script(s);
  CHECK(c.wait_drained(1s) == false);
  std::this_thread::sleep_for(100ms);
  bool settled = false;
  for (int i = 0; i < 200 && !settled; ++i) {
    auto j = nlohmann::json::parse(c.get("/v1/accounts/acct0"), nullptr, false);
    settled = j.is_object() && j.value("depth", 1) == 0 && j.value("dead_letters", 0) == 1;
    std::this_thread::sleep_for(50ms);
  }
  CHECK(settled);
  const std::string dead = c.get("/v1/accounts/acct0/dead");
  CHECK(dead.find(c.run_id() + "-acct0-p0-23") != std::string::npos);
  c.kill9();
  CheckReport r = c.check();
  std::cout << "FM-31: dead letters " << dead.substr(0, 300) << "\n";
  report("FM-31", c, r, settled);
  CHECK(r.ok());
  CHECK(r.delivered_unique == r.acked - 1);
}
