#include "test/support/fake_downstream.h"

#include <doctest/doctest.h>
#include <httplib.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "replay/delivery_json.h"
#include "test/replay/sink_fixture.h"
#include "test/support/temp_dir.h"

namespace spillway::test {
namespace {

using namespace std::chrono_literals;

std::string body_of(const std::string& id, const std::string& account, uint64_t first, size_t n,
                    const std::string& extra = "") {
  auto b = std::make_shared<replay::DeliveryBatch>(*batch_of(id, account, first, n));
  if (!extra.empty()) b->items.back().payload = extra;
  return replay::encode_batch_body(*b);
}

// The first `n` lines of a file.
std::vector<std::string> head_lines(const std::string& path, size_t n) {
  std::ifstream in(path);
  std::vector<std::string> out(n);
  for (auto& line : out) std::getline(in, line);
  return out;
}

httplib::Result post(FakeDownstream& f, const std::string& body, const std::string& id = "b") {
  httplib::Client c("127.0.0.1", f.port());
  c.set_read_timeout(5, 0);
  return c.Post("/events", {{"Idempotency-Key", id}}, body, "application/json");
}

TEST_CASE("FakeDownstream: records accepted events and counts duplicates") {
  FakeDownstream f;
  REQUIRE(f.start().is_ok());
  CHECK(post(f, body_of("b1", "acme", 1, 3), "b1")->status == 200);
  CHECK(post(f, body_of("b1", "acme", 1, 3), "b1")->status == 200);
  const FakeStats s = f.stats();
  CHECK(s.accepted_events == 6);
  CHECK(s.unique_events == 3);
  CHECK(s.duplicate_events == 3);
  CHECK(f.deliveries().at(1).seq == 2);
  CHECK(f.deliveries().at(1).event == R"({"n":1,"type":"track"})");
  CHECK(post(f, "not json")->status == 400);
  CHECK(f.stats().malformed_batches == 1);
}

TEST_CASE("FakeDownstream: scripted error, throttle and marker rejection") {
  FakeDownstream f;
  REQUIRE(f.start().is_ok());
  REQUIRE(f.control(R"({"mode":"error","error_status":502})").is_ok());
  CHECK(post(f, body_of("b", "a", 1, 1))->status == 502);
  REQUIRE(f.control(R"({"mode":"throttle","retry_after_s":4})").is_ok());
  auto r = post(f, body_of("b", "a", 1, 1));
  CHECK(r->status == 429);
  CHECK(r->get_header_value("Retry-After") == "4");
  REQUIRE(f.control(R"({"mode":"up","reject_marker":"POISON"})").is_ok());
  r = post(f, body_of("b", "a", 1, 3, R"({"bad":"POISON"})"));
  CHECK(r->status == 400);
  CHECK(r->body.find("POISON") != std::string::npos);
  CHECK(r->body.find("\"seq\":3") != std::string::npos);
  CHECK(post(f, body_of("b", "a", 1, 3))->status == 200);
  CHECK(f.stats().rejected_batches == 1);
  CHECK_FALSE(f.control(R"({"mode":"sideways"})").is_ok());
  CHECK_FALSE(f.control(R"({"capcity":1})").is_ok());
}

TEST_CASE("FakeDownstream: capacity in delay mode paces batches at C events/s") {
  FakeDownstream f;
  REQUIRE(f.start().is_ok());
  REQUIRE(f.control(R"({"capacity":1000})").is_ok());
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 4; ++i) CHECK(post(f, body_of("b", "a", i * 100, 100))->status == 200);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= 350ms);  // 400 events at 1000/s
  CHECK(took < 2s);
}

TEST_CASE("FakeDownstream: a fixed request cost makes small batches cost more per event") {
  FakeDownstream f;
  REQUIRE(f.start().is_ok());
  REQUIRE(f.control(R"({"capacity":10000,"request_cost_ms":50})").is_ok());
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 4; ++i) CHECK(post(f, body_of("b", "a", i * 10, 10))->status == 200);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= 190ms);  // 4 x (50 ms + 1 ms); without the fixed cost 4 ms
  CHECK(took < 2s);
}

// Several workers: each serves at C / workers, side by side with the others.
TEST_CASE("FakeDownstream: workers serve requests in parallel at their share of C") {
  FakeDownstream f;
  REQUIRE(f.start().is_ok());
  REQUIRE(f.control(R"({"capacity":1000,"workers":4})").is_ok());
  // One request of 100 events alone: 400 ms on a worker of 250 events/s (100 ms on one server
  // of 1,000 events/s).
  auto start = std::chrono::steady_clock::now();
  CHECK(post(f, body_of("b", "a", 0, 100))->status == 200);
  CHECK(std::chrono::steady_clock::now() - start >= 350ms);
  // Four at once: 400 ms side by side (one worker doing all four would take 1.6 s).
  start = std::chrono::steady_clock::now();
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&f, i] {
      const std::string n = std::to_string(i);
      CHECK(post(f, body_of("c" + n, "a" + n, 0, 100), "c" + n)->status == 200);
    });
  }
  for (auto& t : clients) t.join();
  CHECK(std::chrono::steady_clock::now() - start < 1200ms);
  CHECK(!f.control(R"({"workers":0})"));
}

TEST_CASE("FakeDownstream: capacity in throttle mode answers 429 with Retry-After") {
  FakeDownstream f;
  REQUIRE(f.start().is_ok());
  REQUIRE(f.control(R"({"capacity":100,"capacity_mode":"throttle"})").is_ok());
  CHECK(post(f, body_of("b", "a", 1, 100))->status == 200);
  auto r = post(f, body_of("b", "a", 101, 100));
  CHECK(r->status == 429);
  CHECK(!r->get_header_value("Retry-After").empty());
}

TEST_CASE("FakeDownstream: down refuses connections, up accepts again on the same port") {
  FakeDownstream f;
  REQUIRE(f.start().is_ok());
  const int port = f.port();
  f.set_mode(FakeMode::kDown);
  CHECK_FALSE(post(f, body_of("b", "a", 1, 1)));
  f.set_mode(FakeMode::kUp);
  CHECK(f.port() == port);
  CHECK(post(f, body_of("b", "a", 1, 1))->status == 200);
}

TEST_CASE("FakeDownstream: control API and CSV delivery log for fairsim") {
  TempDir dir;
  FakeDownstreamOptions o;
  o.control_port = 0;
  o.delivery_log = dir.sub("log.csv");
  FakeDownstream f(o);
  REQUIRE(f.start().is_ok());
  httplib::Client control("127.0.0.1", f.control_port());
  auto r = control.Post("/control", R"({"mode":"hang"})", "application/json");
  REQUIRE(r);
  CHECK(nlohmann::json::parse(r->body)["mode"] == "hang");
  CHECK(control.Post("/control", R"({"mode":"up"})", "application/json")->status == 200);
  CHECK(post(f, body_of("b", "big co", 4, 2))->status == 200);
  auto stats = nlohmann::json::parse(control.Get("/stats")->body);
  CHECK(stats["unique_events"] == 2);
  CHECK(control.Get("/deliveries")->body.find("\"seq\":5") != std::string::npos);
  std::ifstream in(o.delivery_log);
  std::string header;
  std::string line;
  std::getline(in, header);
  std::getline(in, line);
  CHECK(header == "timestamp,account,seq,enqueue_time");
  CHECK(line.find(",big co,4,1700000000.123") != std::string::npos);
  f.stop();
}

TEST_CASE("FakeDownstream: the CSV log can name each event's messageId") {
  TempDir dir;
  FakeDownstreamOptions o;
  o.delivery_log = dir.sub("log.csv");
  o.log_message_ids = true;
  o.keep_payloads = false;
  FakeDownstream f(o);
  REQUIRE(f.start().is_ok());
  CHECK(post(f, body_of("b", "acme", 7, 2, R"({"messageId":"m-9"})"))->status == 200);
  f.stop();
  const auto lines = head_lines(o.delivery_log, 3);
  const std::string& first = lines[1];
  const std::string& second = lines[2];
  CHECK(lines[0] == "timestamp,account,seq,enqueue_time,message_id");
  CHECK(first.find(",acme,7,") != std::string::npos);
  CHECK(first.back() == ',');  // no string messageId: empty column
  CHECK(second.find(",acme,8,") != std::string::npos);
  CHECK(second.substr(second.size() - 4) == ",m-9");
}

TEST_CASE("FakeDownstream: the CSV log can name each replayed event's replay_id and original_seq") {
  TempDir dir;
  FakeDownstreamOptions o;
  o.delivery_log = dir.sub("log.csv");
  o.log_message_ids = true;
  o.log_replay = true;
  FakeDownstream f(o);
  REQUIRE(f.start().is_ok());
  auto b = std::make_shared<replay::DeliveryBatch>(*batch_of("b", "acme", 7, 2));
  b->items.back().replay_id = 3;
  b->items.back().original_seq = Seq{2};
  CHECK(post(f, replay::encode_batch_body(*b))->status == 200);
  f.stop();
  CHECK(f.deliveries().at(0).replay_id == 0);
  CHECK(f.deliveries().at(1).replay_id == 3);
  CHECK(f.deliveries().at(1).original_seq == 2);
  const auto lines = head_lines(o.delivery_log, 3);
  const std::string& first = lines[1];
  const std::string& second = lines[2];
  CHECK(lines[0] == "timestamp,account,seq,enqueue_time,message_id,replay_id,original_seq");
  CHECK(first.substr(first.size() - 3) == ",,,");  // no messageId, not replayed
  CHECK(second.find(",acme,8,") != std::string::npos);
  CHECK(second.substr(second.size() - 5) == ",,3,2");
}

}  // namespace
}  // namespace spillway::test
