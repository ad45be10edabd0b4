#include "test/ops/ops_fixture.h"

#include <stdexcept>

namespace spillway::test {
namespace {

std::vector<std::string> with_sink_down(std::vector<std::string> extra) {
  // Port 9 (discard) has no listener here: every delivery fails with a connection error.
  std::vector<std::string> args = {"--sink", "http://127.0.0.1:9/", "--retry-max-ms", "1000"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

}  // namespace

OpsServer::OpsServer(std::vector<std::string> extra) : fixture(with_sink_down(std::move(extra))) {}

std::string OpsServer::url() const {
  return "http://127.0.0.1:" + std::to_string(fixture.server->port());
}

std::string OpsServer::account(const std::string& name) {
  return fixture.create_account(name).at("write_key").get<std::string>();
}

void OpsServer::ingest(const std::string& write_key, int n, int invalid, const std::string& tag) {
  nlohmann::json batch = nlohmann::json::array();
  for (int i = 0; i < n; ++i) {
    batch.push_back({{"type", "track"},
                     {"event", "ops-test" + tag},
                     {"userId", "u" + std::to_string(i)},
                     {"properties", {{"i", i}}}});
  }
  for (int i = 0; i < invalid; ++i) batch.push_back(i);
  auto r = fixture.post("/v1/batch", nlohmann::json{{"batch", batch}}.dump(),
                        ServerFixture::basic(write_key));
  if (!r || r->status != 200) throw std::runtime_error("ingest failed");
}

nlohmann::json OpsServer::get_json(const std::string& path) {
  httplib::Headers h = {{"Authorization", std::string("Bearer ") + kTestAdminToken}};
  auto r = fixture.client->Get(path, h);
  if (!r) throw std::runtime_error("GET " + path + " failed");
  return nlohmann::json::parse(r->body, nullptr, false);
}

CliRun OpsServer::cli(std::vector<std::string> args, const std::string& token) {
  args.push_back("--url");
  args.push_back(url());
  return run_cli(args, token);
}

}  // namespace spillway::test
