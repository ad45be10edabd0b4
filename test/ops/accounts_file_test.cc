#include "app/accounts_file.h"

#include <doctest/doctest.h>

#include <string>

#include "app/node_state.h"
#include "app/prometheus_text.h"

namespace spillway::app {
namespace {

const std::string kDigestA(64, 'a');
const std::string kDigestB(64, 'b');

std::string file_with(const std::string& entries) {
  return R"({"version":1,"accounts":[)" + entries + "]}";
}

std::string error_of(const std::string& text) {
  auto parsed = parse_accounts_file(text);
  return parsed ? "" : parsed.status().message();
}

}  // namespace

TEST_CASE("accounts file: reads names, weights and digests in file order") {
  auto parsed = parse_accounts_file(
      file_with(R"({"name":"acme","weight":3,"write_key_sha256":")" + kDigestA +
                R"("},{"name":"retired","track_api_sha256":")" + kDigestB + R"("})"));
  REQUIRE(parsed);
  REQUIRE(parsed->accounts.size() == 2);
  CHECK(parsed->accounts[0] == AccountEntry{"acme", 3, kDigestA, std::nullopt});
  CHECK(parsed->accounts[1] == AccountEntry{"retired", 1, std::nullopt, kDigestB});
}

TEST_CASE("accounts file: errors name the entry and the field") {
  CHECK(error_of("[]") == "not a JSON object");
  CHECK(error_of(R"({"version":2,"accounts":[]})") == "\"version\" must be 1");
  CHECK(error_of(R"({"version":1,"acounts":[]})") == "unknown key \"acounts\"");
  CHECK(error_of(file_with(R"({"name":"a b"})")) ==
        "accounts[0] (\"a b\"): name must be 1..128 of [A-Za-z0-9._-]");
  CHECK(error_of(file_with(R"({"name":"a","weight":0})")) ==
        "accounts[0] (\"a\"): weight must be an integer in 1..1000");
  CHECK(error_of(file_with(R"({"name":"a","write_key_sha256":"ABC"})")) ==
        "accounts[0] (\"a\"): write_key_sha256 must be 64 lowercase hex digits (SHA-256)");
  CHECK(error_of(file_with(R"({"name":"a","wirte_key_sha256":"x"})")) ==
        "accounts[0] (\"a\"): unknown key \"wirte_key_sha256\"");
  CHECK(error_of(file_with(R"({"name":"a"},{"name":"a"})")) ==
        "accounts[1] (\"a\"): duplicate name");
  CHECK(error_of(file_with(R"({"name":"a","write_key_sha256":")" + kDigestA +
                           R"("},{"name":"b","track_api_sha256":")" + kDigestA + R"("})")) ==
        "accounts[1] (\"b\"): a digest also used by another account");
}

TEST_CASE("accounts file: a generated entry parses back with the secrets' digests") {
  std::string entry = accounts_file_entry("acme", 2, "wk_secret", "site:key");
  CHECK(entry.find("wk_secret") == std::string::npos);
  auto parsed = parse_accounts_file(file_with(entry));
  REQUIRE(parsed);
  CHECK(parsed->accounts[0].write_key_sha256 == secret_digest("wk_secret"));
  CHECK(parsed->accounts[0].track_api_sha256 == secret_digest("site:key"));
  // printf %s abc | sha256sum
  CHECK(secret_digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("node state: drained only when draining with nothing queued or in flight") {
  NodeState n{"n1", false, 0, 5, 0, 0};
  CHECK(n.phase() == "serving");
  n.draining = true;
  CHECK(n.phase() == "drained");
  n.appends_in_flight = 1;
  CHECK(n.phase() == "draining");
  n.appends_in_flight = 0;
  n.depth = 1;
  CHECK(n.phase() == "draining");
}

TEST_CASE("prometheus text: constant labels come first on every sample") {
  PrometheusText out;
  out.set_constant_labels({{"node", "n1"}});
  out.gauge("g", "help", 1);
  out.sample("s", {{"account", "a"}}, 2);
  CHECK(out.text().find("g{node=\"n1\"} 1\n") != std::string::npos);
  CHECK(out.text().find("s{node=\"n1\",account=\"a\"} 2\n") != std::string::npos);
}

}  // namespace spillway::app
