// Replay jobs through the real binary: by time range, account and type, in order, with
// progress, dry run and cancel; a kill -9 in the middle of a job, and one during a cancel.
#include <doctest/doctest.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <thread>

#include "common/rfc3339.h"
#include "test/ops/cli_runner.h"
#include "test/ops/ops_fixture.h"

namespace spillway::test {
namespace {

using nlohmann::json;

std::string rfc3339(std::chrono::system_clock::time_point t) {
  return format_rfc3339_ms(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

bool eventually(const std::function<bool()>& done, int seconds = 30) {
  for (int i = 0; i < seconds * 20 && !done(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// Every event object the file sink wrote, in delivery order.
std::vector<json> sink_lines(const std::string& path) {
  std::vector<json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line, nullptr, false);
    if (!j.is_discarded()) out.push_back(j);
  }
  return out;
}

std::vector<std::string> server_args(const std::string& sink, std::vector<std::string> extra) {
  std::vector<std::string> args = {"--sink", "file:" + sink, "--retain-delivered-s", "3600"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

httplib::Headers admin() { return {{"Authorization", std::string("Bearer ") + kTestAdminToken}}; }

json post_replay(ServerFixture& f, const json& body, bool dry = false, int want = 201) {
  auto r = f.client->Post(dry ? "/v1/replays?dry_run=1" : "/v1/replays", admin(), body.dump(),
                          "application/json");
  REQUIRE(r);
  REQUIRE_MESSAGE(r->status == (dry ? 200 : want), r->body);
  return json::parse(r->body);
}

json job(ServerFixture& f, uint64_t id) {
  auto r = f.client->Get("/v1/replays", admin());
  REQUIRE(r);
  REQUIRE(r->status == 200);
  json body = json::parse(r->body);  // kept: a range over a temporary's member would dangle
  for (const json& j : body["replays"]) {
    if (j["id"] == id) return j;
  }
  FAIL("no job " << id);
  return {};
}

// The sink lines a job delivered.
std::vector<json> replayed(const std::string& sink, uint64_t id) {
  std::vector<json> out;
  for (const json& j : sink_lines(sink)) {
    if (j.value("replay_id", uint64_t{0}) == id) out.push_back(j);
  }
  return out;
}

void ingest_track(OpsServer& s, const std::string& key, int n, const std::string& event) {
  s.ingest(key, n, 0, "-" + event);
}

// Delivered and settled: the settle that empties the queue is the one that retains.
bool drained(OpsServer& s) { return s.get_json("/v1/backlog")["totals"]["events"] == 0; }

void restart(OpsServer& s, const std::vector<std::string>& args) {
  s.fixture.server = std::make_unique<ServerProcess>(s.fixture.data, args);
  REQUIRE(s.fixture.server->start());
  s.fixture.client = std::make_unique<httplib::Client>("127.0.0.1", s.fixture.server->port());
}

size_t lines_named(const std::string& sink, const std::string& event) {
  size_t n = 0;
  for (const json& j : sink_lines(sink)) n += j["event"].value("event", "") == event ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("replay: by time range, account and type; order, progress, dry run, cancel") {
  TempDir tmp;
  std::string sink = tmp.sub("sink.ndjson");
  OpsServer s(server_args(sink, {}));
  std::string acme = s.account("acme"), beta = s.account("beta");
  ingest_track(s, acme, 5, "early");
  REQUIRE(eventually([&] { return sink_lines(sink).size() == 5 && drained(s); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::string from = rfc3339(std::chrono::system_clock::now());
  ingest_track(s, acme, 10, "late");
  ingest_track(s, beta, 4, "late");
  REQUIRE(eventually([&] { return sink_lines(sink).size() == 19 && drained(s); }));
  const std::string to = rfc3339(std::chrono::system_clock::now() + std::chrono::seconds(1));

  json dry = post_replay(s.fixture, {{"from", from}, {"to", to}}, true);
  CHECK(dry["matched"] == 14);
  CHECK(sink_lines(sink).size() == 19);  // a dry run enqueues nothing

  json started = post_replay(s.fixture, {{"from", from}, {"to", to}, {"accounts", {"acme"}}});
  uint64_t id = started["id"];
  REQUIRE(eventually([&] { return job(s.fixture, id)["delivered"] == 10; }));
  json done = job(s.fixture, id);
  CHECK(done["state"] == "done");
  CHECK(done["matched"] == 10);
  CHECK(done["enqueued"] == 10);
  auto lines = replayed(sink, id);
  REQUIRE(lines.size() == 10);
  for (size_t i = 0; i < lines.size(); ++i) {
    CHECK(lines[i]["account"] == "acme");
    CHECK(lines[i]["event"]["event"] == "ops-test-late");
    CHECK(lines[i]["event"]["properties"]["i"] == i);  // original order
    CHECK(lines[i]["original_seq"] == 6 + i);
  }

  json none = post_replay(s.fixture, {{"from", from}, {"to", to}, {"types", {"identify"}}});
  REQUIRE(eventually([&] { return job(s.fixture, none["id"])["state"] == "done"; }));
  CHECK(job(s.fixture, none["id"])["matched"] == 0);

  auto cancel = s.fixture.client->Delete("/v1/replays/" + std::to_string(id), admin());
  REQUIRE(cancel);
  CHECK(cancel->status == 200);
  auto missing = s.fixture.client->Delete("/v1/replays/999", admin());
  REQUIRE(missing);
  CHECK(missing->status == 404);
  auto unauthorized = s.fixture.client->Get("/v1/replays");
  REQUIRE(unauthorized);
  CHECK(unauthorized->status == 401);
  post_replay(s.fixture, {{"from", "yesterday"}, {"to", to}}, false, 400);

  CliRun list = s.cli({"replay", "list"});
  CHECK(list.exit == 0);
  CHECK(list.out.find("replay " + std::to_string(id) + "  done") != std::string::npos);
}

TEST_CASE("replay: kill -9 during a job resumes it; nothing enqueued twice, nothing lost") {
  TempDir tmp;
  std::string sink = tmp.sub("sink.ndjson");
  std::vector<std::string> args = server_args(sink, {"--replay-account-window", "5"});
  OpsServer s(args);
  std::string acme = s.account("acme");
  ingest_track(s, acme, 40, "x");
  REQUIRE(eventually([&] { return sink_lines(sink).size() == 40 && drained(s); }));
  REQUIRE(s.cli({"pause"}).exit == 0);
  json started = post_replay(s.fixture, {{"from", "2000-01-01T00:00:00Z"},
                                         {"to", rfc3339(std::chrono::system_clock::now())}});
  uint64_t id = started["id"];
  REQUIRE(eventually([&] { return job(s.fixture, id)["enqueued"] == 5; }));

  s.fixture.server->kill9();
  s.fixture.server = std::make_unique<ServerProcess>(s.fixture.data, args);
  REQUIRE(s.fixture.server->start());
  s.fixture.client = std::make_unique<httplib::Client>("127.0.0.1", s.fixture.server->port());
  CHECK(job(s.fixture, id)["enqueued"] == 5);  // the cursor moved with what it enqueued
  REQUIRE(s.cli({"resume"}).exit == 0);
  REQUIRE(eventually([&] { return job(s.fixture, id)["delivered"] == 40; }));
  auto lines = replayed(sink, id);
  std::map<uint64_t, int> copies;
  for (const json& j : lines) copies[j["original_seq"].get<uint64_t>()] += 1;
  CHECK(copies.size() == 40);
  for (const auto& [seq, n] : copies) CHECK_MESSAGE(n == 1, "original seq " << seq);
  CHECK(job(s.fixture, id)["state"] == "done");
}

TEST_CASE("replay: cancel drops what is not yet delivered, also across a kill -9") {
  TempDir tmp;
  std::string sink = tmp.sub("sink.ndjson");
  std::vector<std::string> args = server_args(sink, {});
  OpsServer s(args);
  std::vector<std::string> keys = {s.account("acme"), s.account("beta"), s.account("gamma")};
  for (const std::string& k : keys) ingest_track(s, k, 400, "old");
  REQUIRE(eventually([&] { return sink_lines(sink).size() == 1200 && drained(s); }));
  REQUIRE(s.cli({"pause"}).exit == 0);
  json started = post_replay(s.fixture, {{"from", "2000-01-01T00:00:00Z"},
                                         {"to", rfc3339(std::chrono::system_clock::now())}});
  uint64_t id = started["id"];
  REQUIRE(eventually([&] { return job(s.fixture, id)["state"] == "done"; }));
  REQUIRE(job(s.fixture, id)["enqueued"] == 1200);
  for (const std::string& k : keys) ingest_track(s, k, 5, "live");

  SUBCASE("cancelled from the CLI") {
    CliRun cancel = s.cli({"replay", "cancel", std::to_string(id)});
    CHECK(cancel.exit == 0);
    CHECK(cancel.out.find("cancel") != std::string::npos);
  }
  SUBCASE("kill -9 right after the cancel committed") {
    auto cancel = s.fixture.client->Delete("/v1/replays/" + std::to_string(id), admin());
    REQUIRE(cancel);
    REQUIRE(cancel->status == 200);
    CHECK(json::parse(cancel->body)["state"] == "cancelling");
    s.fixture.server->kill9();
    restart(s, args);
    MESSAGE("after the restart: " << job(s.fixture, id).dump());
  }
  REQUIRE(eventually([&] { return job(s.fixture, id)["state"] == "cancelled"; }));
  json cancelled = job(s.fixture, id);
  CHECK(cancelled["dropped"] == 1200);
  CHECK(cancelled["delivered"] == 0);
  CHECK(s.get_json("/v1/backlog")["totals"]["events"] == 15);
  CliRun list = s.cli({"replay", "list"});
  CHECK(list.out.find("replay " + std::to_string(id) + "  cancelled") != std::string::npos);
  CHECK(list.out.find("dropped 1200") != std::string::npos);

  REQUIRE(s.cli({"resume"}).exit == 0);
  REQUIRE(eventually([&] { return lines_named(sink, "ops-test-live") == 15 && drained(s); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(replayed(sink, id).empty());  // the downstream got the live events only
  CHECK(sink_lines(sink).size() == 1215);
  REQUIRE(s.fixture.stop() == 0);
  CliRun v = run_cli({"verify", s.fixture.data});
  CHECK_MESSAGE(v.exit == 0, (v.out + v.err));
}

}  // namespace spillway::test
