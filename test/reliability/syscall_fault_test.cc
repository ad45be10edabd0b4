// FM-02 (SIGKILL at each of the first K fdatasync / pwrite64 calls) and FM-04 (fdatasync
// returns EIO): the real server under `strace -f -e inject=...`, one sequential
// producer so the batch in flight is known, the fake downstream draining at the same time.
#include <doctest/doctest.h>

#include <chrono>
#include <iostream>
#include <random>
#include <thread>

#include "test/reliability/cluster.h"

using namespace spillway::test;
using namespace std::chrono_literals;

namespace {

// No --seccomp-bpf: with it, strace 6.1 ignores when=K for K > 1 in threads (measured).
std::vector<std::string> strace_inject(const std::string& syscall, const std::string& action) {
  return {"strace", "-f",
          "-o",     "/dev/null",
          "-e",     "trace=" + syscall,
          "-e",     "inject=" + syscall + ":" + action};
}

int get_status(Cluster& c, const std::string& path) {
  int status = 0;
  (void)c.get(path, &status);
  return status;
}

struct SweepCounts {
  int killed_in_commit = 0;  // the injected SIGKILL ended the server under load
  int killed_at_start = 0;   // ... during open, before ready
  int not_reached = 0;       // K beyond this run's calls: killed by the test instead
};

// One crash point: start under strace, send batches until the server dies (or 150 requests),
// then check every invariant against the store.
void crash_point(Cluster& c, LedgerProducer& producer, const std::string& syscall, int k,
                 SweepCounts& counts) {
  if (!c.start(strace_inject(syscall, "signal=SIGKILL:when=" + std::to_string(k)))) {
    ++counts.killed_at_start;
  } else {
    for (int sent = 0; sent < 150; ++sent)
      if (producer.send_once(c.port(), 3000) == Outcome::kIndeterminate) break;
    for (int i = 0; i < 300 && c.server().running(); ++i) std::this_thread::sleep_for(10ms);
    (c.server().running() ? counts.not_reached : counts.killed_in_commit) += 1;
    c.kill9();
  }
  CheckReport r = c.check();
  if (!r.ok()) std::cout << "FM-02 " << syscall << " when=" << k << "\n" << r.text();
  REQUIRE_MESSAGE(r.ok(), "FM-02 invariant broken at " << syscall << " when=" << k);
}

}  // namespace

// The idempotency index seals every 64 keys in steps of 8 KiB, so that the crash points fall in
// its transactions (seals, merges, deletions) too, and every restart recovers it.
const std::vector<std::string> kBusyIndex = {"--dedupe-seal-keys", "64", "--dedupe-step-bytes",
                                             "8192"};

namespace {

// The value of a counter in GET /metrics (0 when absent), labels or not.
double metric(Cluster& c, const std::string& name) {
  const std::string text = c.get("/metrics");
  for (size_t at = text.find("\n" + name); at != std::string::npos;
       at = text.find("\n" + name, at + 1)) {
    const char next = text[at + 1 + name.size()];
    if (next != ' ' && next != '{') continue;
    return std::stod(text.substr(text.find(' ', at + 1) + 1));
  }
  return 0;
}

// The sweep of FM-02 against a server started with `flags`; `label` names it in the output.
// Returns the events the warm-up's 10 requests staged in the inbox, if the writer moved them
// (after 50 ms at most), else 0.
double sweep(const std::vector<std::string>& flags, const std::string& label) {
  const long points = env_int("SPILLWAY_FM02_POINTS", 50);  // per syscall
  Cluster c(flags);
  REQUIRE(c.start());
  c.add_accounts(1, 1, 3);
  for (int i = 0; i < 10; ++i) REQUIRE(c.producers()[0]->send_once(c.port(), 3000) == Outcome::kOk);
  std::this_thread::sleep_for(200ms);
  const double staged = metric(c, "spillway_inbox_staged_events_total");
  const double moves = metric(c, "spillway_inbox_moves_total");
  std::cout << label << ": the warm-up staged " << staged << " events in " << moves << " moves\n";
  c.kill9();
  LedgerProducer& producer = *c.producers()[0];
  auto t0 = std::chrono::steady_clock::now();
  for (const std::string syscall : {"fdatasync", "pwrite64"}) {
    SweepCounts counts;
    for (int k = 1; k <= points; ++k) crash_point(c, producer, syscall, k, counts);
    std::cout << label << " " << syscall << " when=1.." << points << ": killed in a commit "
              << counts.killed_in_commit << ", at startup " << counts.killed_at_start
              << ", not reached " << counts.not_reached << "\n";
    CHECK(counts.killed_in_commit >= points * 9 / 10);
  }
  REQUIRE(c.start());
  CHECK(c.wait_drained(30s));
  c.kill9();
  CheckReport r = c.check();
  std::cout << label << " final (" << 2 * points << " crash points, "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()
            << " s):\n"
            << r.text();
  CHECK(r.ok());
  CHECK(r.indeterminate >= static_cast<uint64_t>(points));
  return moves > 0 ? staged : 0;
}

}  // namespace

TEST_CASE("FM-02: SIGKILL at each of the first K fdatasync and pwrite64 calls loses no 200") {
  CHECK(sweep(kBusyIndex, "FM-02") == 0);  // one request at a time: the direct path
}

TEST_CASE("FM-02: the same sweep with every append staged in the inbox and moved after it") {
  // One producer sends one request at a time, so by default each append takes the direct
  // path. --inbox-min-group 1 stages every one and moves it in the quiet gap after, so the
  // crash points fall in staging commits and moves alike, and restarts move what was left.
  std::vector<std::string> flags = kBusyIndex;
  flags.insert(flags.end(), {"--inbox-min-group", "1"});
  CHECK(sweep(flags, "FM-02 inbox") >= 30);  // 10 requests of 3 events
}

TEST_CASE("FM-04: fdatasync EIO gives 503, ingest stays refused until a probe commits") {
  std::mt19937 rng(std::random_device{}());
  const int k = 5 + static_cast<int>(rng() % 20);
  std::cout << "FM-04 EIO at fdatasync when=" << k << "\n";
  Cluster c;
  REQUIRE(c.start());
  c.add_accounts(1, 1, 3);
  c.kill9();
  REQUIRE(c.start(strace_inject("fdatasync", "error=EIO:when=" + std::to_string(k))));
  LedgerProducer& producer = *c.producers()[0];
  int sent = 0;
  while (sent++ < 200 && producer.send_once(c.port()) == Outcome::kOk) {
  }
  auto attempts = c.ledger().snapshot();
  REQUIRE(attempts.back().status == 503);
  // Refused (503, never 200) and not ready until the probe commit succeeds.
  auto failed_at = std::chrono::steady_clock::now();
  const uint64_t requests_at_failure = c.downstream().stats().requests;
  CHECK(get_status(c, "/readyz") != 200);
  int refused = 0;
  Outcome o = Outcome::kFailed;
  while (std::chrono::steady_clock::now() - failed_at < 20s) {
    o = producer.send_once(c.port());
    if (o != Outcome::kFailed) break;
    ++refused;
    std::this_thread::sleep_for(100ms);
  }
  const double recovery_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - failed_at).count();
  // Regression: while acks cannot be recorded the drainer backs off instead of re-sending the
  // same events in a tight loop (it sent ~1,000 requests/s before the fix).
  const double resend_rate =
      static_cast<double>(c.downstream().stats().requests - requests_at_failure) / recovery_s;
  CHECK(o == Outcome::kOk);
  CHECK(refused > 0);
  CHECK(get_status(c, "/readyz") == 200);
  CHECK(c.server().log().find("commit failed") != std::string::npos);
  CHECK(c.server().log().find("storage recovered") != std::string::npos);
  for (int i = 0; i < 20; ++i) CHECK(producer.send_once(c.port()) == Outcome::kOk);
  CHECK(c.wait_drained(30s));
  c.kill9();
  CheckReport r = c.check();
  std::cout << "FM-04: 503 at request " << sent << ", " << refused
            << " requests refused, accepting again after " << recovery_s
            << " s; downstream requests while failed: " << resend_rate << "/s\n"
            << r.text();
  CHECK(r.ok());
  CHECK(resend_rate < 5.0);
}

TEST_CASE("FM-04: persistent fdatasync EIO never yields a 200") {
  Cluster c;
  REQUIRE(c.start());
  c.add_accounts(1, 1, 3);
  c.kill9();
  REQUIRE(c.start(strace_inject("fdatasync", "error=EIO:when=3+")));
  LedgerProducer& producer = *c.producers()[0];
  auto t0 = std::chrono::steady_clock::now();
  int ok = 0, failed = 0;
  while (std::chrono::steady_clock::now() - t0 < 8s) {
    Outcome o = producer.send_once(c.port());
    (o == Outcome::kOk ? ok : failed) += 1;
    if (failed > 0) CHECK(o != Outcome::kOk);  // once failed, never a success again
    std::this_thread::sleep_for(50ms);
  }
  CHECK(failed > 0);
  CHECK(get_status(c, "/readyz") != 200);
  c.kill9();
  CheckReport r = c.check();
  std::cout << "FM-04 persistent: " << ok << " ok before the failure, " << failed
            << " refused over 8 s\n"
            << r.text();
  CHECK(r.ok());
}
