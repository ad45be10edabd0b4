#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test/ingest/server_fixture.h"
#include "test/ops/cli_runner.h"

namespace spillway::test {

// A running spillway whose sink is down (a closed local port), so whatever is ingested stays
// in the backlog; plus verbs for the operations tests.
struct OpsServer {
  explicit OpsServer(std::vector<std::string> extra = {});

  std::string url() const;
  // Creates an account through the admin API; returns its write key.
  std::string account(const std::string& name);
  // Sends one /v1/batch of `n` valid events (and `invalid` non-object items) for `write_key`.
  void ingest(const std::string& write_key, int n, int invalid = 0, const std::string& tag = "");
  nlohmann::json get_json(const std::string& path);
  // `spillway ARGS... --url URL` with the test admin token in the environment.
  CliRun cli(std::vector<std::string> args, const std::string& token = kTestAdminToken);

  ServerFixture fixture;
};

}  // namespace spillway::test
