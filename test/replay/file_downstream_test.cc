#include "replay/file_downstream.h"

#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/clock.h"
#include "test/replay/sink_fixture.h"
#include "test/support/capture_logger.h"
#include "test/support/temp_dir.h"

namespace spillway::replay {
namespace {

using Kind = DeliveryResult::Kind;
using test::batch_of;
using test::deliver_sync;

struct FileFixture {
  SystemClock clock;
  test::CaptureLogger logger;
  test::TempDir dir;
  std::string path = dir.sub("sink.ndjson");

  std::unique_ptr<FileDownstream> open() {
    auto r = FileDownstream::open(FileDownstreamOptions{path}, clock, logger);
    REQUIRE(r.is_ok());
    return std::move(r).value();
  }
  std::vector<nlohmann::json> lines() const {
    std::vector<nlohmann::json> out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
      out.push_back(nlohmann::json::parse(line, nullptr, false));
      REQUIRE(!out.back().is_discarded());
    }
    return out;
  }
};

TEST_CASE("FileDownstream: writes one NDJSON line per event, accepted after the sync") {
  FileFixture f;
  auto sink = f.open();
  CHECK(deliver_sync(*sink, batch_of("b1", "acme", 5, 3)).kind == Kind::kAccepted);
  sink->stop();
  const auto lines = f.lines();
  REQUIRE(lines.size() == 3);
  CHECK(lines[0]["batch_id"] == "b1");
  CHECK(lines[0]["account"] == "acme");
  CHECK(lines[2]["seq"] == 7);
  CHECK(lines[1]["event"]["n"] == 1);
  CHECK(lines[1]["received_at"] == "2023-11-14T22:13:20.123Z");
}

TEST_CASE("FileDownstream: survives reopen and cuts a torn last line") {
  FileFixture f;
  {
    auto sink = f.open();
    CHECK(deliver_sync(*sink, batch_of("b1", "acme", 1, 2)).kind == Kind::kAccepted);
    sink->stop();
  }
  std::ofstream(f.path, std::ios::app) << R"({"batch_id":"torn","acc)";
  auto sink = f.open();
  CHECK(f.logger.contains("torn last line"));
  CHECK(deliver_sync(*sink, batch_of("b2", "acme", 3, 2)).kind == Kind::kAccepted);
  sink->stop();
  const auto lines = f.lines();
  REQUIRE(lines.size() == 4);
  CHECK(lines[3]["batch_id"] == "b2");
}

TEST_CASE("FileDownstream: many concurrent batches are all written") {
  FileFixture f;
  auto sink = f.open();
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        auto b = batch_of(test::name_of("t", t, i), "a", static_cast<uint64_t>(i) * 2, 2);
        if (deliver_sync(*sink, b).kind == Kind::kAccepted) ++accepted;
      }
    });
  for (auto& t : threads) t.join();
  sink->stop();
  CHECK(accepted == 80);
  CHECK(f.lines().size() == 160);
}

TEST_CASE("FileDownstream: write errors are retryable") {
  test::CaptureLogger logger;
  SystemClock clock;
  auto r = FileDownstream::open(FileDownstreamOptions{"/dev/full"}, clock, logger);
  REQUIRE(r.is_ok());
  auto sink = std::move(r).value();
  const DeliveryResult res = deliver_sync(*sink, batch_of("b", "a", 1, 1));
  CHECK(res.kind == Kind::kRetryable);
  CHECK(res.detail.find("write") != std::string::npos);
  sink->stop();
  CHECK(logger.contains("write failed"));
}

TEST_CASE("FileDownstream: open errors and deliveries after stop") {
  test::CaptureLogger logger;
  SystemClock clock;
  auto bad =
      FileDownstream::open(FileDownstreamOptions{"/nonexistent-dir/x.ndjson"}, clock, logger);
  CHECK(bad.status().code() == Status::Code::kIoError);
  FileFixture f;
  auto sink = f.open();
  sink->stop();
  const DeliveryResult r = deliver_sync(*sink, batch_of("b", "a", 1, 1));
  CHECK(r.kind == Kind::kRetryable);
  CHECK(r.detail == "file sink stopped");
}

}  // namespace
}  // namespace spillway::replay
