#pragma once

#include <httplib.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test/ingest/server_process.h"
#include "test/support/temp_dir.h"

namespace spillway::test {

// A running spillway with a fresh data dir, an HTTP client and small verbs for the tests.
struct ServerFixture {
  explicit ServerFixture(std::vector<std::string> args = {});
  ~ServerFixture();

  // Creates an account via the admin API; returns the 201 body (write_key, site_id, api_key).
  nlohmann::json create_account(const std::string& name);
  httplib::Result post(const std::string& path, const std::string& body,
                       const std::string& authorization,
                       const std::string& content_type = "application/json",
                       httplib::Headers extra = {});
  static std::string basic(const std::string& user, const std::string& password = "");
  // Sends raw bytes on a new connection and returns everything read until close or 3 s.
  std::string raw(const std::string& bytes);
  // Stops the server with SIGTERM (checking exit 0) so the store can be read.
  int stop();

  TempDir dir;
  std::string data;
  std::unique_ptr<ServerProcess> server;
  std::unique_ptr<httplib::Client> client;
};

nlohmann::json body_of(const httplib::Result& r);
std::string error_code(const httplib::Result& r);

}  // namespace spillway::test
