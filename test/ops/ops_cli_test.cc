// The operator CLI through the real binary against a real server.
#include <doctest/doctest.h>

#include "test/ops/ops_fixture.h"

namespace spillway::test {
namespace {

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("cli: --version, --help of every subcommand, usage errors exit 2") {
  CliRun v = run_cli({"--version"});
  CHECK(v.exit == 0);
  CHECK(has(v.out, "spillway 0."));
  for (std::string cmd :
       {"serve", "status", "pause", "resume", "limits", "accounts", "dead", "verify", "backup"}) {
    CAPTURE(cmd);
    CliRun h = run_cli({cmd, "--help"});
    CHECK(h.exit == 0);
    CHECK(has(h.out, "usage: spillway " + cmd));
  }
  CHECK(run_cli({"frobnicate"}).exit == 2);
  CHECK(run_cli({"status", "--bogus", "1"}).exit == 2);
  CHECK(run_cli({"dead", "list"}).exit == 2);
  CHECK(run_cli({"accounts", "rename", "x"}).exit == 2);
  CHECK(run_cli({"verify"}).exit == 2);
}

TEST_CASE("cli: unreachable server exits 3; missing or wrong token exits 4") {
  CliRun down = run_cli({"status", "--url", "http://127.0.0.1:9"}, "some-token");
  CHECK(down.exit == 3);
  CHECK(has(down.err, "cannot reach the server at http://127.0.0.1:9"));
  CliRun none = run_cli({"status", "--data", "/nonexistent-dir"});
  CHECK(none.exit == 4);
  CHECK(has(none.err, "no admin token"));
  OpsServer s;
  CliRun wrong = s.cli({"pause"}, "not-the-token");
  CHECK(wrong.exit == 4);
  CHECK(has(wrong.err, "refused the admin token"));
  CHECK_FALSE(has(wrong.err, "not-the-token"));
  CHECK(s.get_json("/v1/backlog").at("drain").at("state") != "paused");
}

TEST_CASE("cli: accounts create and list, status table with the deepest account first") {
  OpsServer s;
  CliRun created = s.cli({"accounts", "create", "acme", "--weight", "3"});
  REQUIRE(created.exit == 0);
  CHECK(has(created.out, "write_key wk_"));
  std::string key = created.out.substr(created.out.find("write_key ") + 10);
  key = key.substr(0, key.find('\n'));
  s.ingest(key, 30);
  s.ingest(s.account("small"), 4);
  CHECK(s.cli({"accounts", "create", "acme"}).exit == 1);  // 409: name taken

  CliRun list = s.cli({"accounts", "list"});
  REQUIRE(list.exit == 0);
  CHECK(has(list.out, "acme"));
  CHECK(has(list.out, "small"));

  CliRun status = s.cli({"status"});
  REQUIRE(status.exit == 0);
  CHECK(has(status.out, "34 events"));
  CHECK(has(status.out, "in 2 of 2 accounts"));
  CHECK(s.get_json("/v1/accounts/acme").at("weight") == 3);
  auto acme = status.out.find("\nacme ");
  auto small = status.out.find("\nsmall ");
  REQUIRE(acme != std::string::npos);
  REQUIRE(small != std::string::npos);
  CHECK(acme < small);
  CliRun json = s.cli({"status", "--json"});
  CHECK(nlohmann::json::parse(json.out).at("totals").at("events") == 34);
}

TEST_CASE("cli: pause and resume all draining and one account, checked through the API") {
  OpsServer s;
  s.ingest(s.account("acme"), 5);
  CliRun p = s.cli({"pause"});
  CHECK(p.exit == 0);
  CHECK(s.get_json("/v1/backlog").at("drain").at("state") == "paused");
  CHECK(s.cli({"resume"}).exit == 0);
  CHECK(s.get_json("/v1/backlog").at("drain").at("state") != "paused");
  CHECK(s.cli({"pause", "acme"}).exit == 0);
  CHECK(s.get_json("/v1/accounts/acme").at("paused") == true);
  CHECK(s.cli({"resume", "acme"}).exit == 0);
  CHECK(s.get_json("/v1/accounts/acme").at("paused") == false);
  CliRun missing = s.cli({"pause", "nobody"});
  CHECK(missing.exit == 1);
  CHECK(has(missing.err, "unknown_account"));
  CHECK(has(s.fixture.server->log(), "msg=\"drain paused\" actor=admin@127.0.0.1"));
}

TEST_CASE("cli: limits shows and sets the drain rate cap and concurrency ceiling") {
  OpsServer s;
  CliRun set = s.cli({"limits", "--rate", "250", "--concurrency", "8"});
  REQUIRE(set.exit == 0);
  auto drain = s.get_json("/v1/backlog").at("drain");
  CHECK(drain.at("max_events_per_sec") == 250);
  CHECK(drain.at("max_concurrency") == 8);
  CHECK(s.cli({"limits", "--rate", "0"}).exit == 0);
  CHECK(s.get_json("/v1/backlog").at("drain").at("max_events_per_sec") == 0);
  CHECK(s.get_json("/v1/backlog").at("drain").at("max_concurrency") == 8);
  CliRun show = s.cli({"limits"});
  CHECK(show.exit == 0);
  CHECK(has(show.out, "rate cap:        none"));
  CHECK(has(show.out, "max concurrency: 8"));
  CHECK(s.cli({"limits", "--concurrency", "0"}).exit == 1);  // server refuses 0
  CHECK(s.cli({"limits", "--rate", "fast"}).exit == 2);
}

TEST_CASE("cli: dead list, replay and purge") {
  OpsServer s;
  std::string key = s.account("acme");
  s.ingest(key, 2, 3);  // 3 invalid items become dead letters at ingest
  CliRun list = s.cli({"dead", "list", "acme"});
  REQUIRE(list.exit == 0);
  CHECK(has(list.err, "3 dead letters"));
  CHECK(std::count(list.out.begin(), list.out.end(), '\n') == 3);
  CHECK(has(list.out, "\"source\":\"ingest\""));
  CliRun replay = s.cli({"dead", "replay", "acme", "--limit", "1"});
  CHECK(replay.exit == 0);
  CHECK(has(replay.out, "requeued 1"));
  CHECK(s.get_json("/v1/accounts/acme").at("dead_letters") == 2);
  CHECK(s.cli({"dead", "purge", "acme"}).exit == 2);  // needs --yes
  CliRun purge = s.cli({"dead", "purge", "acme", "--yes"});
  CHECK(purge.exit == 0);
  CHECK(has(purge.out, "purged 2"));
  CHECK(s.get_json("/v1/accounts/acme").at("dead_letters") == 0);
}

}  // namespace spillway::test
