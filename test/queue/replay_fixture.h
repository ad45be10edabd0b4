#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "test/queue/wal_fixture.h"

namespace spillway::test {

// A store that retains delivered events, with verbs for replay jobs (test/queue/replay_*).
struct ReplayFixture : WalFixture {
  ReplayFixture() { options.retain_delivered = std::chrono::hours(24); }

  // Appends and delivers one event per payload, each at its own time step.
  void deliver(AccountId a, const std::vector<std::string>& payloads) {
    for (const std::string& p : payloads) {
      auto r = append(a, {p}, {"key-" + p});
      REQUIRE(r.is_ok());
      REQUIRE(settle(a, {r->outcomes[0].seq.value}).is_ok());
      clock.advance(std::chrono::seconds(1));
    }
  }
  queue::ReplayJob start(queue::ReplaySpec spec) {
    auto r = wait<Result<queue::ReplayJob>>(
        [&](auto done) { wal().writer().create_replay(std::move(spec), done); });
    REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
    return *r;
  }
  // Delivers one event, replays all that was delivered, and waits until the copy is queued.
  queue::ReplayJob replay_one(AccountId a, const std::string& payload) {
    deliver(a, {payload});
    queue::ReplayJob j = start({0, clock.wall_ms(), {}, {}, {}});
    REQUIRE(wait_until([&] { return read(a).size() == 1; }));
    return j;
  }
  queue::ReplayJob job(uint64_t id) {
    for (const queue::ReplayJob& j : wal().writer().replay_jobs()) {
      if (j.id == id) return j;
    }
    FAIL("no job " << id);
    return {};
  }
  std::vector<std::string> payloads(AccountId a) {
    std::vector<std::string> out;
    for (const auto& e : read(a)) out.push_back(e.payload);
    return out;
  }
  std::vector<uint64_t> queued_seqs(AccountId a) {
    std::vector<uint64_t> out;
    for (const auto& e : read(a)) out.push_back(e.seq.value);
    return out;
  }
  Result<queue::ReplayJob> cancel(uint64_t id) {
    return wait<Result<queue::ReplayJob>>(
        [&](auto done) { wal().writer().cancel_replay(id, done); });
  }
};

}  // namespace spillway::test
