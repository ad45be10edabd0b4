// Retention of delivered events through the real binary: by age and by byte budget, visible
// in /metrics and in `spillway verify`.
#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <sstream>
#include <thread>

#include "test/ops/ops_fixture.h"

namespace spillway::test {
namespace {

// The value of one series, written without the node label every sample starts with.
double metric(OpsServer& s, const std::string& series) {
  auto r = s.fixture.client->Get("/metrics");
  REQUIRE(r);
  std::istringstream in(r->body);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto open = line.find("{node=\"");
    if (open == std::string::npos) continue;
    auto close = line.find('"', open + 7);
    bool alone = line[close + 1] == '}';
    auto space = line.rfind(' ');
    std::string name =
        line.substr(0, open) + (alone ? "" : "{" + line.substr(close + 2, space - close - 2));
    if (name == series) return std::stod(line.substr(space + 1));
  }
  FAIL("no sample " << series);
  return 0;
}

bool eventually(const std::function<bool()>& done, int seconds = 20) {
  for (int i = 0; i < seconds * 20 && !done(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// Delivery works (null: acknowledges everything), so ingested events are settled at once.
std::vector<std::string> delivering(std::vector<std::string> extra) {
  std::vector<std::string> args = {"--sink", "null:"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

}  // namespace

TEST_CASE("retention: delivered events are kept, then expire by age") {
  OpsServer s(delivering({"--retain-delivered-s", "3"}));
  s.ingest(s.account("acme"), 25);
  REQUIRE(eventually([&] { return metric(s, "spillway_retained_events") == 25; }));
  CHECK(metric(s, "spillway_backlog_events") == 0);
  CHECK(metric(s, "spillway_retained_bytes") > 25 * 50);
  CHECK(metric(s, "spillway_retained_oldest_delivered_timestamp_seconds") > 1.7e9);
  nlohmann::json r = s.get_json("/v1/backlog")["retention"];  // what the dashboard shows
  CHECK(r["enabled"] == true);
  CHECK(r["keep_s"] == 3);
  CHECK(r["events"] == 25);
  CHECK(r["bytes"] == metric(s, "spillway_retained_bytes"));
  CHECK(r["oldest_delivered_at"].is_string());
  CHECK(r["oldest_age_s"] >= 0);
  REQUIRE(eventually([&] { return metric(s, "spillway_retained_events") == 0; }));
  CHECK(metric(s, R"(spillway_retained_dropped_total{reason="expired"})") == 25);
  CHECK(metric(s, "spillway_retained_oldest_delivered_timestamp_seconds") == 0);
  r = s.get_json("/v1/backlog")["retention"];
  CHECK(r["dropped"]["expired"] == 25);
  CHECK(r["oldest_delivered_at"].is_null());
}

TEST_CASE("retention: over --retain-max-bytes the oldest go first, logged; verify agrees") {
  OpsServer s(delivering({"--retain-delivered-s", "3600", "--retain-max-bytes", "2000"}));
  std::string key = s.account("acme");
  for (int i = 0; i < 5; ++i) s.ingest(key, 10, 0, "-" + std::to_string(i));
  REQUIRE(eventually([&] {
    return metric(s, "spillway_backlog_events") == 0 &&
           metric(s, R"(spillway_retained_dropped_total{reason="budget"})") > 0 &&
           metric(s, "spillway_retained_bytes") <= 2000;
  }));
  double kept = metric(s, "spillway_retained_events");
  CHECK(kept > 0);
  CHECK(kept + metric(s, R"(spillway_retained_dropped_total{reason="budget"})") == 50);
  CHECK(s.fixture.server->log().find("retained bytes over budget") != std::string::npos);
  REQUIRE(s.fixture.stop() == 0);
  CliRun v = run_cli({"verify", s.fixture.data});
  CHECK_MESSAGE(v.exit == 0, (v.out + v.err));
}

TEST_CASE("retention: off by default, nothing is kept") {
  OpsServer s(delivering({}));
  s.ingest(s.account("acme"), 5);
  REQUIRE(eventually([&] { return metric(s, "spillway_backlog_events") == 0; }));
  CHECK(metric(s, "spillway_retained_events") == 0);
  nlohmann::json r = s.get_json("/v1/backlog")["retention"];
  CHECK(r["enabled"] == false);
  CHECK(r["events"] == 0);
  CHECK(r["replay_jobs_running"] == 0);
}

}  // namespace spillway::test
