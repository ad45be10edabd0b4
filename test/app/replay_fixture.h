#pragma once

#include <httplib.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "test/ingest/server_process.h"
#include "test/support/fake_downstream.h"
#include "test/support/temp_dir.h"

namespace spillway::test {

// The text the fake downstream is told to refuse (reject_marker) in the poison tests.
inline constexpr const char* kPoison = "POISON-PILL";

// A real `spillway serve` (test/ingest ServerProcess, 127.0.0.1:0) whose sink is an in-process
// FakeDownstream, with the verbs of the replay integration tests. The fake starts first (its
// URL is a server flag) and outlives the server; restart() reuses the data dir, so durable
// state (queue, pauses, limits) carries over. Single-threaded use from the test body.
class ReplayFixture {
 public:
  // `fake_options` configures the fake downstream (TLS for the https:// tests).
  explicit ReplayFixture(std::vector<std::string> extra_args = {},
                         FakeDownstreamOptions fake_options = {});
  ~ReplayFixture();
  ReplayFixture(const ReplayFixture&) = delete;
  ReplayFixture& operator=(const ReplayFixture&) = delete;

  void kill9();
  // Starts the server again on the same data dir (after kill9() or stop()). Each start gets a
  // new ServerProcess, hence a new log file: the port is read from the log, and the previous
  // run's "ready" line must not be mistaken for this one's.
  void restart();
  // SIGTERM; returns the exit code.
  int stop();

  // Creates an account through the admin API and remembers its write key.
  void create_account(const std::string& name);
  // Ingests events n = first .. first+count-1 of `account` in one /v1/batch (messageId
  // "<account>-<n>", properties.n = n); those in `poison` carry kPoison. Fails the test unless
  // all are stored.
  void ingest(const std::string& account, int first, int count, const std::set<int>& poison = {});
  // An admin API call with the right token; `token` overrides it ("" = no header).
  httplib::Result admin(const std::string& method, const std::string& path,
                        const std::string& body = "", const char* token = kTestAdminToken);
  // GET /v1/backlog?top=100 and GET /v1/accounts/{name} as JSON (failing the test on non-200).
  nlohmann::json backlog();
  nlohmann::json account(const std::string& name);
  std::string log() const { return server_->log(); }
  // The server's port, and the Basic header of an account made by create_account(), for a
  // second client (a live traffic thread) next to the fixture's own.
  int port() const;
  const std::string& auth(const std::string& account) const { return auth_.at(account); }

  FakeDownstream fake;

 private:
  void connect();

  TempDir dir_;
  std::string data_;
  std::vector<std::string> args_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> client_;
  std::map<std::string, std::string> auth_;  // account -> Basic header
};

// Polls `cond` every 10 ms until it holds or `timeout` passes; returns its last value.
bool eventually(const std::function<bool()>& cond,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));

// What the fake downstream saw, judged per account. An event is identified by (account, seq);
// its index n comes from the payload's properties.n.
struct DeliveryReport {
  // Per account: n of each event in the order of its first accepted delivery.
  std::map<std::string, std::vector<int>> order;
  // First accepted deliveries whose seq is below an earlier one of the same account.
  size_t reorders = 0;
  // Extra deliveries (accepted or ambiguous) of an (account, seq) already delivered.
  size_t duplicates = 0;
  // (account, seq) delivered in more than one batch id: a duplicate that was not a re-send.
  size_t duplicates_in_other_batches = 0;
  // Batches whose Idempotency-Key differed from their batch_id.
  uint64_t missing_idempotency_key = 0;
};
DeliveryReport report(const FakeDownstream& fake);

// first, first+1, ..., first+count-1.
std::vector<int> range(int first, int count);
// The events with the given n removed from `all`, order kept.
std::vector<int> without(std::vector<int> all, const std::set<int>& removed);

}  // namespace spillway::test
