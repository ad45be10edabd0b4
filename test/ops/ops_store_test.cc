// spillway verify and spillway backup through the real binary, offline and hot.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "test/ops/ops_fixture.h"

namespace spillway::test {
namespace {

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// Flips one byte of the first occurrence of `needle` in DIR/data.mdb; false if absent.
bool corrupt(const std::string& dir, const std::string& needle) {
  std::string path = dir + "/data.mdb";
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string bytes = ss.str();
  auto at = bytes.find(needle);
  if (at == std::string::npos) return false;
  std::fstream out(path, std::ios::binary | std::ios::in | std::ios::out);
  out.seekp(static_cast<std::streamoff>(at));
  out.put(static_cast<char>(bytes[at] ^ 0x20));
  return true;
}

}  // namespace

TEST_CASE("verify and backup: hot copy through the running server, offline after it stops") {
  OpsServer s;
  std::string key = s.account("acme");
  s.ingest(key, 40, 1, "-needle");
  std::string data = s.fixture.data;

  CliRun locked = run_cli({"verify", data});
  CHECK(locked.exit == 3);
  CHECK(has(locked.err, "locked by another spillway process"));

  std::string hot = s.fixture.dir.sub("hot-copy");
  CliRun b = s.cli({"backup", data, hot});
  CAPTURE(b.err);
  REQUIRE(b.exit == 0);
  CHECK(has(b.out, "hot copy written by the running server"));
  CHECK(has(b.out, "40 queued events"));
  CHECK(has(b.out, "1 dead letters"));
  CHECK(has(b.out, "OK: every check passed"));
  CHECK(has(s.fixture.server->log(), "msg=\"backup written\""));

  CliRun again = s.cli({"backup", data, hot});
  CHECK(again.exit == 2);  // OUT_DIR not empty
  CHECK(has(again.err, "is not empty"));

  REQUIRE(s.fixture.stop() == 0);
  CliRun v = run_cli({"verify", data});
  CHECK(v.exit == 0);
  CHECK(has(v.out, "1 accounts, 40 queued events"));
  CHECK(has(v.out, "OK: every check passed"));

  std::string cold = s.fixture.dir.sub("cold-copy");
  CliRun offline = run_cli({"backup", data, cold});
  CHECK(offline.exit == 0);
  CHECK(has(offline.out, "offline copy written"));
  CHECK(has(offline.out, "40 queued events"));
  // The copy serves: a server starts on it and reports the same backlog.
  ServerProcess restored(cold, {"--sink", "http://127.0.0.1:9/"});
  REQUIRE(restored.start());
  httplib::Client c("127.0.0.1", restored.port());
  auto r = c.Get("/v1/backlog", {{"Authorization", std::string("Bearer ") + kTestAdminToken}});
  REQUIRE(r);
  CHECK(nlohmann::json::parse(r->body).at("totals").at("events") == 40);
  CHECK(restored.stop() == 0);
}

TEST_CASE("verify: a flipped byte in an event is reported and exits 1") {
  OpsServer s;
  s.ingest(s.account("acme"), 5, 0, "-needle");
  std::string copy = s.fixture.dir.sub("copy");
  REQUIRE(s.cli({"backup", s.fixture.data, copy}).exit == 0);
  REQUIRE(corrupt(copy, "ops-test-needle"));
  CliRun v = run_cli({"verify", copy});
  CHECK(v.exit == 1);
  CHECK(has(v.out, "PROBLEM: "));
  CHECK(has(v.out, "DAMAGED"));
  CHECK(run_cli({"verify", s.fixture.dir.sub("nothing-here")}).exit == 3);
}

}  // namespace spillway::test
