// Integration: the real `spillway serve` draining into an https:// fake downstream that serves
// the committed test certificates (test/support/tls/).
#include <doctest/doctest.h>

#include "test/app/replay_fixture.h"
#include "test/support/tls_files.h"

using namespace spillway::test;
using json = nlohmann::json;

TEST_CASE("Replay: drains over https to a downstream whose CA is given by --sink-ca-file") {
  ReplayFixture f({"--sink-ca-file", tls_file("ca.pem")}, tls_fake_options());
  REQUIRE(f.fake.url().rfind("https://", 0) == 0);
  for (const char* a : {"t1", "t2"}) f.create_account(a);
  f.ingest("t1", 0, 40);
  f.ingest("t2", 0, 15);
  CHECK(eventually([&] { return f.fake.stats().unique_events >= 55; }));
  const DeliveryReport r = report(f.fake);
  CHECK(r.reorders == 0);
  CHECK(r.order.at("t1").size() == 40);
  CHECK(r.order.at("t2").size() == 15);
  CHECK(eventually([&] { return f.backlog()["totals"]["events"] == 0; }));
}

TEST_CASE("Replay: an untrusted sink certificate holds the backlog and says why") {
  ReplayFixture f({"--sink-ca-file", tls_file("other_ca.pem")}, tls_fake_options());
  f.create_account("held");
  f.ingest("held", 0, 20);
  CHECK(eventually([&] {
    const json a = f.account("held");
    return a["last_error"].is_string() && a["last_error"].get<std::string>().find(
                                              "certificate verify failed") != std::string::npos;
  }));
  CHECK(f.fake.stats().accepted_events == 0);
  CHECK(f.account("held")["depth"] == 20);
  // Nothing is dropped however long the certificate stays wrong: still all queued after a
  // kill -9 and a restart.
  f.kill9();
  f.restart();
  CHECK(f.account("held")["depth"] == 20);
}

TEST_CASE("Replay: drains to a downstream that requires a client certificate") {
  ReplayFixture f({"--sink-ca-file", tls_file("ca.pem"), "--sink-client-cert",
                   tls_file("client.pem"), "--sink-client-key", tls_file("client.key")},
                  tls_fake_options("server", "ca.pem"));
  f.create_account("m1");
  f.ingest("m1", 0, 25);
  CHECK(eventually([&] { return f.fake.stats().unique_events >= 25; }));
  CHECK(report(f.fake).reorders == 0);
}
