// GET /metrics through the real binary: the numbers match what was done to the server.
#include <doctest/doctest.h>

#include <map>
#include <sstream>
#include <thread>

#include "test/ops/ops_fixture.h"

namespace spillway::test {
namespace {

// Every sample starts with the node label (docs/cluster.md); the checks below name the rest.
std::string without_node_label(const std::string& series) {
  auto open = series.find("{node=\"");
  REQUIRE(open != std::string::npos);
  auto close = series.find('"', open + 7);
  bool alone = series[close + 1] == '}';
  return series.substr(0, open) + (alone ? "" : "{" + series.substr(close + 2));
}

// "name{labels}" -> value for every sample line, without the node label.
std::map<std::string, double> scrape(OpsServer& s, const std::string& token = "") {
  httplib::Headers h;
  if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  auto r = s.fixture.client->Get("/metrics", h);
  REQUIRE(r);
  REQUIRE(r->status == 200);
  CHECK(r->get_header_value("Content-Type").find("text/plain; version=0.0.4") == 0);
  std::map<std::string, double> out;
  std::istringstream in(r->body);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.rfind(' ');
    out[without_node_label(line.substr(0, space))] = std::stod(line.substr(space + 1));
  }
  return out;
}

bool has_circuit_log(const std::string& log) {
  return log.find("msg=\"circuit open: downstream failing\"") != std::string::npos;
}

}  // namespace

TEST_CASE("metrics: ingest, store, replay and backlog numbers follow the traffic") {
  OpsServer s({"--metrics-top-accounts", "2"});
  std::string acme = s.account("acme");
  s.ingest(acme, 20, 2);
  s.ingest(acme, 5);
  s.ingest(s.account("beta"), 3);
  s.ingest(s.account("gamma"), 1);
  auto bad = s.fixture.post("/v1/batch", R"({"batch":[]})", ServerFixture::basic("nokey"));
  REQUIRE(bad);
  CHECK(bad->status == 401);
  auto m = scrape(s);
  CHECK(m["spillway_ingest_events_total"] == 29);
  CHECK(m["spillway_ingest_invalid_events_total"] == 2);
  CHECK(m["spillway_ingest_bytes_total"] > 29 * 50);
  CHECK(m[R"(spillway_http_requests_total{route="/v1/batch",method="POST",status="200"})"] == 4);
  CHECK(m[R"(spillway_http_requests_total{route="/v1/batch",method="POST",status="401"})"] == 1);
  CHECK(
      m[R"(spillway_http_requests_total{route="/v1/admin/accounts",method="POST",status="201"})"] ==
      3);
  CHECK(m[R"(spillway_ingest_rejections_total{reason="unauthorized"})"] == 1);
  CHECK(m["spillway_backlog_events"] == 29);
  CHECK(m["spillway_backlog_accounts_behind"] == 3);
  CHECK(m["spillway_dead_letters"] == 2);
  CHECK(m["spillway_commit_latency_seconds_count"] >= 4);
  // Ingest routes only: the four stored batches and the 401, not the admin calls.
  CHECK(m["spillway_ingest_request_duration_seconds_count"] == 5);
  CHECK(m["spillway_ingest_request_duration_seconds_sum"] > 0);
  CHECK(m["spillway_commit_group_operations_count"] >= 4);
  CHECK(m["spillway_store_map_used_bytes"] > 0);
  CHECK(m["spillway_store_file_size_bytes"] > 0);
  CHECK(m["spillway_store_free_disk_bytes"] > 0);
  CHECK(m["spillway_store_healthy"] == 1);
  // Top-N only: the two deepest accounts have series, the third does not.
  CHECK(m[R"(spillway_account_backlog_events{account="acme"})"] == 25);
  CHECK(m[R"(spillway_account_backlog_events{account="beta"})"] == 3);
  CHECK(m.count(R"(spillway_account_backlog_events{account="gamma"})") == 0);
}

TEST_CASE("metrics: a failing sink shows in retries, circuit and delivery latency") {
  OpsServer s({"--breaker-failures", "2"});
  s.ingest(s.account("acme"), 3);
  std::map<std::string, double> m;
  for (int i = 0; i < 100; ++i) {
    m = scrape(s);
    if (m[R"(spillway_replay_retries_total{reason="connection"})"] >= 2 &&
        m[R"(spillway_replay_circuit_state{state="closed"})"] == 0)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(m[R"(spillway_replay_retries_total{reason="connection"})"] >= 2);
  CHECK(m[R"(spillway_replay_circuit_state{state="closed"})"] == 0);
  CHECK(m["spillway_replay_delivery_latency_seconds_count"] >= 2);
  CHECK(m["spillway_replay_delivered_events_total"] == 0);
  CHECK(m["spillway_replay_batches_total"] >= 1);
  CHECK(m["spillway_replay_concurrency_limit"] >= 1);
  CHECK(has_circuit_log(s.fixture.server->log()));
}

TEST_CASE("metrics: rate cap and paused state show; the token can be required") {
  OpsServer s({"--metrics-require-token", "1"});
  auto anon = s.fixture.client->Get("/metrics");
  REQUIRE(anon);
  CHECK(anon->status == 401);
  REQUIRE(s.cli({"limits", "--rate", "42"}).exit == 0);
  REQUIRE(s.cli({"pause"}).exit == 0);
  auto m = scrape(s, kTestAdminToken);
  CHECK(m["spillway_replay_rate_cap_events_per_second"] == 42);
  CHECK(m[R"(spillway_replay_state{state="paused"})"] == 1);
  CHECK(m[R"(spillway_replay_state{state="running"})"] == 0);
}

}  // namespace spillway::test
