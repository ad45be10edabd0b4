#include "app/status_table.h"

#include <doctest/doctest.h>

#include "app/client_command.h"
#include "app/cluster_backlog.h"
#include "app/store_summary.h"

namespace spillway::app {

TEST_CASE("status table: totals, drain line and one row per account in API order") {
  auto backlog = nlohmann::json::parse(R"({
    "totals": {"events": 1234567, "bytes": 2048, "accounts": 9, "accounts_with_backlog": 2,
               "dead_letters": 0, "oldest_age_s": 310},
    "drain": {"state": "paused", "policy": "fair", "concurrency_limit": 3, "max_concurrency": 64,
              "in_flight_requests": 0, "max_events_per_sec": 500, "eta_all_s": null},
    "rates": {"ingest_per_s": 10, "drain_per_s": 0},
    "accounts": [
      {"name": "acme", "depth": 1234000, "oldest_age_s": 310, "drain_rate": 0, "eta_s": null,
       "paused": false, "in_flight": false, "last_error": "connect: refused"},
      {"name": "b", "depth": 567, "oldest_age_s": 5, "drain_rate": 2.5, "eta_s": 7200,
       "paused": true, "in_flight": false, "last_error": null}]})");
  std::string text = format_status(backlog);
  CHECK(text.find("drain:   paused, policy fair, concurrency 3/64") != std::string::npos);
  CHECK(text.find("rate cap 500.0 events/s") != std::string::npos);
  CHECK(text.find("1,234,567 events (2.0 KiB) in 2 of 9 accounts, oldest 5m 10s") !=
        std::string::npos);
  CHECK(text.find("all real-time in -") != std::string::npos);
  auto acme = text.find("acme");
  auto b = text.find("\nb ");
  REQUIRE(acme != std::string::npos);
  REQUIRE(b != std::string::npos);
  CHECK(acme < b);
  CHECK(text.find("error: connect: refused") != std::string::npos);
  CHECK(text.find("2h 00m") != std::string::npos);
  CHECK(text.find("paused\n") != std::string::npos);
}

TEST_CASE("status table: no backlog") {
  auto text = format_status(nlohmann::json::parse(R"({"accounts": []})"));
  CHECK(text.find("no account is behind") != std::string::npos);
}

TEST_CASE("status table: durations and counts") {
  CHECK(format_duration(nlohmann::json(59.4)) == "59s");
  CHECK(format_duration(nlohmann::json(3 * 86400 + 4 * 3600)) == "3d 4h");
  CHECK(format_duration(nlohmann::json()) == "-");
  CHECK(format_count(0) == "0");
  CHECK(format_count(1000) == "1,000");
}

TEST_CASE("status table: a cluster shows each node, the totals and accounts across nodes") {
  auto n1 = nlohmann::json::parse(R"({"node": "n1",
    "totals": {"events": 1500, "bytes": 2048, "accounts_with_backlog": 2, "oldest_age_s": 70},
    "drain": {"state": "running"},
    "accounts": [{"name": "acme", "depth": 1000, "oldest_age_s": 70},
                 {"name": "b", "depth": 500, "oldest_age_s": 5}]})");
  auto n2 = nlohmann::json::parse(R"({"node": "n2",
    "totals": {"events": 200, "bytes": 1024, "accounts_with_backlog": 1, "oldest_age_s": 9},
    "drain": {"state": "paused"},
    "accounts": [{"name": "acme", "depth": 200, "oldest_age_s": 9}]})");
  std::string text =
      format_cluster_status(cluster_backlog_json({{"http://a:1", n1, nullptr, ""},
                                                  {"http://b:2", n2, nullptr, ""},
                                                  {"http://c:3", nullptr, nullptr, "refused"}},
                                                 20),
                            20);
  CHECK(text.find("n2         http://b:2                   paused") != std::string::npos);
  CHECK(text.find("http://c:3                   no answer") != std::string::npos);
  CHECK(text.find("total      2 of 3 nodes") != std::string::npos);
  CHECK(text.find("1,700    3.0 KiB          1m 10s") != std::string::npos);
  auto acme = text.find("acme                             1,200  1m 10s   n1,n2");
  auto b = text.find("\nb                                  500  5s       n1\n");
  CHECK(acme != std::string::npos);
  CHECK(b > acme);
}

TEST_CASE("status table: --nodes lists are split on commas without empty entries") {
  CHECK(split_nodes("http://a:1/,http://b:2,,") ==
        std::vector<std::string>{"http://a:1", "http://b:2"});
  CHECK(split_nodes("").empty());
}

}  // namespace spillway::app

TEST_CASE("verify report: staged inbox events are counted, and are not damage") {
  spillway::queue::StoreReport r;
  r.accounts = 1;
  r.events = 10;
  r.staged_events = 1234;
  std::string text = spillway::app::format_report("/d", r);
  CHECK(text.find("1,234 events staged in the inbox") != std::string::npos);
  CHECK(text.find("OK: every check passed") != std::string::npos);
  r.staged_events = 0;
  CHECK(spillway::app::format_report("/d", r).find("staged") == std::string::npos);
}
