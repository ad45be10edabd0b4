#include "app/cluster_backlog.h"

#include <doctest/doctest.h>

namespace spillway::app {
namespace {

using nlohmann::json;

// A GET /v1/backlog body of node `id` with `accounts` ({name, depth} pairs) and its totals.
json backlog(const std::string& id, std::vector<std::pair<std::string, int>> accounts,
             double oldest_age_s = 10) {
  json list = json::array();
  uint64_t events = 0;
  for (const auto& [name, depth] : accounts) {
    list.push_back({{"name", name},
                    {"depth", depth},
                    {"bytes", depth * 100},
                    {"oldest_age_s", oldest_age_s},
                    {"drain_rate", 1.5},
                    {"paused", false}});
    events += static_cast<uint64_t>(depth);
  }
  return {{"node", id},
          {"totals",
           {{"events", events},
            {"bytes", events * 100},
            {"accounts_with_backlog", list.size()},
            {"dead_letters", 1},
            {"oldest_age_s", oldest_age_s}}},
          {"drain", {{"state", "running"}}},
          {"rates", {{"ingest_per_s", 10.0}, {"drain_per_s", 4.0}}},
          {"accounts", list}};
}

NodeReport report(const std::string& url, const std::string& id,
                  std::vector<std::pair<std::string, int>> accounts, double oldest = 10) {
  return {url, backlog(id, std::move(accounts), oldest), {{"node", id}, {"state", "serving"}}, ""};
}

NodeReport unreachable(const std::string& url) {
  return {url, nullptr, nullptr, "cannot reach the server at " + url + ": Connection"};
}

}  // namespace

TEST_CASE("ClusterBacklog: totals sum the nodes that answered") {
  json v = cluster_backlog_json(
      {report("", "n1", {{"a", 5}, {"b", 3}}, 30), report("http://n2:1", "n2", {{"a", 7}}, 70)},
      20);
  const json& t = v["totals"];
  CHECK(t["nodes"] == 2);
  CHECK(t["answered"] == 2);
  CHECK(t["partial"] == false);
  CHECK(t["events"] == 15);
  CHECK(t["bytes"] == 1500);
  CHECK(t["accounts_with_backlog"] == 3);
  CHECK(t["dead_letters"] == 2);
  CHECK(t["oldest_age_s"] == 70);
  CHECK(t["ingest_per_s"] == 20.0);
  CHECK(t["drain_per_s"] == 8.0);
}

TEST_CASE("ClusterBacklog: an account behind on two nodes is one row with both, deepest first") {
  json v = cluster_backlog_json(
      {report("", "n1", {{"a", 5}, {"b", 3}}), report("http://n2:1", "n2", {{"a", 7}, {"c", 4}})},
      20);
  const json& accounts = v["accounts"];
  REQUIRE(accounts.size() == 3);
  CHECK(accounts[0]["name"] == "a");
  CHECK(accounts[0]["depth"] == 12);
  CHECK(accounts[0]["bytes"] == 1200);
  CHECK(accounts[0]["drain_rate"] == 3.0);
  CHECK(accounts[0]["nodes"] ==
        json::parse(R"([{"node":"n1","depth":5},{"node":"n2","depth":7}])"));
  CHECK(accounts[1]["name"] == "c");
  CHECK(accounts[2]["name"] == "b");
  CHECK(cluster_backlog_json({report("", "n1", {{"a", 5}, {"b", 3}})}, 1)["accounts"].size() == 1);
}

TEST_CASE("ClusterBacklog: a node that did not answer is a row with its error, not in the sums") {
  json v = cluster_backlog_json(
      {report("", "n1", {{"a", 5}}), unreachable("http://n2:1"), report("http://n3:1", "n3", {})},
      20);
  const json& n2 = v["nodes"][1];
  CHECK(n2["url"] == "http://n2:1");
  CHECK(n2["reachable"] == false);
  CHECK(n2["counted"] == false);
  CHECK(n2["node"].is_null());
  CHECK(n2["error"].get<std::string>().find("cannot reach") != std::string::npos);
  CHECK(v["totals"]["answered"] == 2);
  CHECK(v["totals"]["partial"] == true);
  CHECK(v["totals"]["events"] == 5);
  CHECK(v["nodes"][0]["self"] == true);
  CHECK(v["nodes"][0]["url"].is_null());
  CHECK(v["nodes"][0]["state"] == "serving");
  CHECK(v["nodes"][0]["drain"] == "running");
  CHECK(v["nodes"][2]["error"].is_null());
}

TEST_CASE("ClusterBacklog: a node id answering twice is counted once") {
  json v = cluster_backlog_json(
      {report("", "n1", {{"a", 5}}), report("http://self:1", "n1", {{"a", 5}})}, 20);
  CHECK(v["totals"]["events"] == 5);
  CHECK(v["accounts"][0]["depth"] == 5);
  CHECK(v["nodes"][1]["counted"] == false);
  CHECK(v["nodes"][1]["reachable"] == true);
  CHECK(v["nodes"][1]["error"].get<std::string>().find("already counted") != std::string::npos);
}

TEST_CASE("ClusterBacklog: no node answering gives zero totals and an unknown oldest age") {
  json v = cluster_backlog_json({unreachable("http://n2:1")}, 20);
  CHECK(v["totals"]["answered"] == 0);
  CHECK(v["totals"]["events"] == 0);
  CHECK(v["totals"]["oldest_age_s"].is_null());
  CHECK(v["accounts"].empty());
}

}  // namespace spillway::app
