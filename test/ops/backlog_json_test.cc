#include "app/backlog_json.h"

#include <doctest/doctest.h>

#include "queue/retain/retained_log.h"

namespace spillway::app {
namespace {

using nlohmann::json;

constexpr int64_t kNowMs = 1'764'950'400'000;  // 2025-12-05T16:00:00Z

queue::retain::RetainedStats retained(uint64_t events, int64_t oldest_delivered_ms) {
  queue::retain::RetainedStats st;
  st.events = events;
  st.bytes = events * 100;
  st.oldest_delivered_ms = oldest_delivered_ms;
  st.oldest_received_ms = oldest_delivered_ms - 5000;
  return st;
}

}  // namespace

TEST_CASE("retention_json: the oldest delivery is how far back a replay can reach") {
  json r = retention_json(retained(25, kNowMs - 90'500), {3600, 0}, 1, kNowMs);
  CHECK(r["enabled"] == true);
  CHECK(r["keep_s"] == 3600);
  CHECK(r["max_bytes"] == 0);
  CHECK(r["events"] == 25);
  CHECK(r["bytes"] == 2500);
  CHECK(r["oldest_delivered_at"] == "2025-12-05T15:58:29.500Z");
  CHECK(r["oldest_age_s"] == doctest::Approx(90.5));
  CHECK(r["shedding"] == false);
  CHECK(r["replay_jobs_running"] == 1);
}

TEST_CASE("retention_json: off and empty gives null times, not the epoch") {
  json r = retention_json(retained(0, 0), {}, 0, kNowMs);
  CHECK(r["enabled"] == false);
  CHECK(r["events"] == 0);
  CHECK(r["oldest_delivered_at"].is_null());
  CHECK(r["oldest_age_s"].is_null());
  CHECK(r["replay_jobs_running"] == 0);
}

TEST_CASE("retention_json: shedding and the drops by reason") {
  queue::retain::RetainedStats st = retained(3, kNowMs - 1000);
  st.shedding = true;
  st.expired = 4;
  st.dropped_budget = 5;
  st.dropped_disk = 6;
  st.not_kept = 7;
  json r = retention_json(st, {60, 2000}, 0, kNowMs);
  CHECK(r["shedding"] == true);
  CHECK(r["max_bytes"] == 2000);
  CHECK(r["dropped"] == json{{"expired", 4}, {"budget", 5}, {"disk", 6}, {"not_kept", 7}});
}

}  // namespace spillway::app
