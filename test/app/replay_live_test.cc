// A replay job next to live traffic, through the real binary (issue 13): a large account's
// retained history is replayed into a slow downstream while small accounts, and the large one,
// keep sending live events. The replay must deliver exactly the retained events, once each, in
// order, and the live events must stay real-time meanwhile. With `--replay-account-window`
// 10000000 the test fails: the large account's live events wait behind its whole history (p99
// 10.3-10.6 s on 2026-12-05) and the small accounts' too (4.4-5.0 s: requests of 5,000 events
// sized for the unlimited receiver the history went to), against 0.7-0.8 s and 0.4-0.5 s with
// the default window of 1000.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <thread>

#include "common/rfc3339.h"
#include "test/app/replay_fixture.h"
#include "test/support/fake_wire.h"

namespace spillway::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr int kHistory = 20000;         // the large account's retained events
constexpr double kCapacity = 2000;      // the slow downstream, events/s: the replay takes ~10 s
constexpr auto kLiveTick = 50ms;        // one live event per account per tick
constexpr double kSmallP99Bound = 1.5;  // s; the requests in flight are ~0.25 s each
constexpr double kLargeP99Bound = 2.5;  // s; behind at most the window (1000 events) of replay
const std::vector<std::string> kSmall = {"small-0", "small-1", "small-2", "small-3"};

int64_t wall_ms() { return static_cast<int64_t>(std::llround(wall_seconds() * 1000.0)); }

// Sends one live event per account per tick on its own connection until stop(); each event's
// messageId is "<account>-live-<k>".
class LiveTraffic {
 public:
  LiveTraffic(ReplayFixture& f, std::vector<std::string> accounts)
      : client_("127.0.0.1", f.port()), accounts_(std::move(accounts)) {
    for (const auto& a : accounts_) auth_.push_back(f.auth(a));
    thread_ = std::thread([this] { run(); });
  }
  ~LiveTraffic() { stop(); }
  LiveTraffic(const LiveTraffic&) = delete;
  LiveTraffic& operator=(const LiveTraffic&) = delete;
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int sent() const { return sent_; }
  int failed() const { return failed_; }

 private:
  void run() {
    for (int k = 0; !stop_; ++k) {
      for (size_t i = 0; i < accounts_.size(); ++i) {
        json e = {{"type", "track"},
                  {"userId", "u1"},
                  {"event", "Live"},
                  {"messageId", accounts_[i] + "-live-" + std::to_string(k)}};
        auto r =
            client_.Post("/v1/track", {{"Authorization", auth_[i]}}, e.dump(), "application/json");
        (r && r->status == 200 ? sent_ : failed_) += 1;
      }
      std::this_thread::sleep_for(kLiveTick);
    }
  }
  httplib::Client client_;
  std::vector<std::string> accounts_;
  std::vector<std::string> auth_;
  std::atomic<bool> stop_{false};
  std::atomic<int> sent_{0};
  std::atomic<int> failed_{0};
  std::thread thread_;
};

std::string message_id(const FakeDelivery& d) {
  json e = json::parse(d.event, nullptr, false);
  return e.is_object() ? e.value("messageId", "") : "";
}

json replay_job(ReplayFixture& f, uint64_t id) {
  auto r = f.admin("GET", "/v1/replays");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  json body = json::parse(r->body);
  for (const json& j : body["replays"])
    if (j["id"] == id) return j;
  FAIL("no replay job " << id);
  return {};
}

// POST /v1/replays for [from, to] (ms), then waits until the job is done and all it enqueued
// was delivered. Returns the job id.
uint64_t run_replay(ReplayFixture& f, int64_t from, int64_t to) {
  auto r = f.admin("POST", "/v1/replays",
                   json{{"from", format_rfc3339_ms(from)}, {"to", format_rfc3339_ms(to)}}.dump());
  REQUIRE(r);
  REQUIRE(r->status == 201);
  const uint64_t id = json::parse(r->body)["id"];
  REQUIRE(eventually(
      [&] {
        json j = replay_job(f, id);
        return j["state"] == "done" && j["delivered"] == j["enqueued"];
      },
      90s));
  return id;
}

double p99(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(std::ceil(0.99 * static_cast<double>(v.size()))) - 1];
}

// The large account's history, delivered at full speed and so retained. Returns the `to` of a
// replay that covers it and nothing later.
int64_t deliver_history(ReplayFixture& f) {
  for (int first = 0; first < kHistory; first += 500) f.ingest("big", first, 500);
  REQUIRE(f.fake.wait_for_unique(kHistory, 60s));
  REQUIRE(eventually([&] { return f.backlog()["totals"]["events"] == 0; }, 30s));
  std::this_thread::sleep_for(20ms);  // settled: retained with a delivery time before `to`
  return wall_ms();
}

// Live lags (s) of the non-replayed events received in [from_s, to_s], per account.
std::map<std::string, std::vector<double>> live_lags(const std::vector<FakeDelivery>& ds,
                                                     double from_s, double to_s) {
  std::map<std::string, std::vector<double>> out;
  for (const FakeDelivery& d : ds) {
    const double received = static_cast<double>(d.received_at_ms) / 1000.0;
    if (d.replay_id == 0 && received >= from_s && received <= to_s)
      out[d.account].push_back(d.delivered_at - received);
  }
  return out;
}

void check_exact_replay(const std::vector<FakeDelivery>& ds, uint64_t id) {
  std::vector<std::string> ids;
  uint64_t last_original = 0;
  size_t reorders = 0;
  for (const FakeDelivery& d : ds) {
    if (d.replay_id != id) continue;
    ids.push_back(message_id(d));
    reorders += d.original_seq <= last_original ? 1 : 0;
    last_original = d.original_seq;
  }
  REQUIRE(ids.size() == static_cast<size_t>(kHistory));
  CHECK(reorders == 0);
  size_t wrong = 0;
  for (int n = 0; n < kHistory; ++n) wrong += ids[n] == "big-" + std::to_string(n) ? 0 : 1;
  CHECK_MESSAGE(wrong == 0, wrong << " replayed events out of place or not the history");
}

}  // namespace

TEST_CASE(
    "replay: a large account's history into a slow downstream; live traffic stays "
    "real-time and the replay is exact") {
  ReplayFixture f({"--retain-delivered-s", "3600"});
  f.create_account("big");
  for (const auto& s : kSmall) f.create_account(s);
  const int64_t from = wall_ms() - 1000;
  const int64_t to = deliver_history(f);
  REQUIRE(f.fake.control(R"({"capacity":2000,"request_cost_ms":5})").is_ok());
  std::vector<std::string> live_accounts = kSmall;
  live_accounts.push_back("big");
  LiveTraffic live(f, live_accounts);
  std::this_thread::sleep_for(1s);

  const double started = wall_seconds();
  const uint64_t id = run_replay(f, from, to);
  const double done = wall_seconds();
  CHECK(done - started > 0.5 * kHistory / kCapacity);  // the downstream was the bottleneck
  std::this_thread::sleep_for(1s);
  live.stop();
  CHECK(live.failed() == 0);
  REQUIRE(f.fake.wait_for_unique(static_cast<uint64_t>(2 * kHistory + live.sent()), 30s));

  const json job = replay_job(f, id);
  CHECK(job["matched"] == kHistory);
  CHECK(job["enqueued"] == kHistory);
  const std::vector<FakeDelivery> ds = f.fake.deliveries();
  check_exact_replay(ds, id);
  auto lags = live_lags(ds, started, done);
  std::vector<double> small;
  for (const auto& s : kSmall) small.insert(small.end(), lags[s].begin(), lags[s].end());
  REQUIRE(small.size() > 100);  // live events were measured during the replay
  REQUIRE(lags["big"].size() > 25);
  MESSAGE("replay " << (done - started) << " s; live lag p99 small " << p99(small) << " s, big "
                    << p99(lags["big"]) << " s");
  CHECK(p99(small) < kSmallP99Bound);
  CHECK(p99(lags["big"]) < kLargeP99Bound);
}

}  // namespace spillway::test
