// The https:// sink through the factory, against the fake downstream serving the committed
// test certificates (test/support/tls/make_certs.sh).
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "common/clock.h"
#include "replay/downstream_factory.h"
#include "replay/http_downstream.h"
#include "test/replay/sink_fixture.h"
#include "test/support/capture_logger.h"
#include "test/support/fake_downstream.h"
#include "test/support/temp_dir.h"
#include "test/support/tls_files.h"

namespace spillway::replay {
namespace {

using Kind = DeliveryResult::Kind;
using test::batch_of;
using test::deliver_sync;
using test::FakeDownstream;
using test::tls_fake_options;
using test::tls_file;

// An https fake downstream serving `cert` (a leaf of test/support/tls); with `client_ca`, it
// requires a client certificate of that CA.
struct TlsFake {
  explicit TlsFake(const char* cert = "server", int keep_alive_s = 2, const char* client_ca = "")
      : fake([&] {
          test::FakeDownstreamOptions o = tls_fake_options(cert, client_ca);
          o.keep_alive_timeout_s = keep_alive_s;
          return o;
        }()) {
    REQUIRE(fake.start().is_ok());
  }
  // https://HOST:PORT/events
  std::string url(const std::string& host) const {
    return "https://" + host + ":" + std::to_string(fake.port()) + "/events";
  }
  FakeDownstream fake;
};

// A sink made by the factory for `url`, trusting `ca` ("" = the system store), presenting
// the client certificate `client` (test/support/tls/CLIENT.pem and .key) when given.
struct TlsSink {
  TlsSink(const std::string& url, const std::string& ca, const char* client = "",
          std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    SinkContext ctx{io.executor(), &clock, &logger, {}};
    ctx.http.tls.ca_file = ca;
    if (*client != '\0') {
      ctx.http.tls.client_cert = tls_file(std::string(client) + ".pem");
      ctx.http.tls.client_key = tls_file(std::string(client) + ".key");
    }
    ctx.http.attempt_timeout = timeout;
    auto made = make_downstream(url, ctx);
    INFO(made.status().to_string());
    REQUIRE(made.is_ok());
    sink = std::move(made).value();
  }
  ~TlsSink() { sink->stop(); }
  DeliveryResult send(std::string id, size_t n = 3) {
    return deliver_sync(*sink, batch_of(std::move(id), "acme", 1, n));
  }
  size_t idle() const { return dynamic_cast<HttpDownstream&>(*sink).idle_connections(); }
  SystemClock clock;
  test::CaptureLogger logger;
  test::IoRunner io;
  std::unique_ptr<Downstream> sink;
};

TEST_CASE("https sink: delivers to a certificate of the trusted CA, by IP and by name") {
  TlsFake tls;
  for (const char* host : {"127.0.0.1", "localhost"}) {
    CAPTURE(host);
    TlsSink s(tls.url(host), tls_file("ca.pem"));
    const DeliveryResult r = s.send(std::string("b-") + host);
    INFO(r.detail);
    CHECK(r.kind == Kind::kAccepted);
    CHECK(r.http_status == 200);
    // The connection is kept: a second batch reuses it rather than handshaking again.
    CHECK(s.idle() == 1);
    CHECK(s.send(std::string("c-") + host).kind == Kind::kAccepted);
    CHECK(s.idle() == 1);
  }
  CHECK(tls.fake.stats().unique_events == 3);  // the same seqs of one account, four batches
  // REQUIRE: back() of an empty list would crash the whole test binary, not fail this case.
  REQUIRE(tls.fake.deliveries().size() == 12);
  CHECK(tls.fake.deliveries().back().batch_id == "c-localhost");
}

TEST_CASE("https sink: an untrusted or misnamed certificate is retryable and delivers nothing") {
  SUBCASE("signed by a CA the sink does not trust") {
    TlsFake tls;
    TlsSink s(tls.url("127.0.0.1"), tls_file("other_ca.pem"));
    const DeliveryResult r = s.send("b");
    INFO(r.detail);
    CHECK(r.kind == Kind::kRetryable);
    CHECK(r.detail.find("tls handshake") != std::string::npos);
    CHECK(r.detail.find("certificate verify failed") != std::string::npos);
    CHECK(tls.fake.stats().unique_events == 0);
  }
  SUBCASE("trusted CA, but issued to another host name") {
    TlsFake tls("wrong_host");
    for (const char* host : {"127.0.0.1", "localhost"}) {
      CAPTURE(host);
      TlsSink s(tls.url(host), tls_file("ca.pem"));
      const DeliveryResult r = s.send("b");
      INFO(r.detail);
      CHECK(r.kind == Kind::kRetryable);
      CHECK(r.detail.find("certificate verify failed") != std::string::npos);
    }
    CHECK(tls.fake.stats().unique_events == 0);
  }
  SUBCASE("the system store does not know the test CA") {
    TlsFake tls;
    TlsSink s(tls.url("localhost"), "");
    CHECK(s.send("b").kind == Kind::kRetryable);
    CHECK(tls.fake.stats().unique_events == 0);
  }
}

TEST_CASE("https sink: once the downstream serves a valid certificate, delivery resumes") {
  int port = 0;
  std::unique_ptr<TlsSink> sink;
  {
    TlsFake misnamed("wrong_host");
    port = misnamed.fake.port();
    sink = std::make_unique<TlsSink>(misnamed.url("localhost"), tls_file("ca.pem"));
    CHECK(sink->send("before").kind == Kind::kRetryable);
    CHECK(sink->idle() == 0);  // a failed handshake is never pooled
  }
  // The downstream fixes its certificate (same port); the same sink object, no restart.
  test::FakeDownstreamOptions o = tls_fake_options();
  o.port = port;
  FakeDownstream fixed(o);
  REQUIRE(fixed.start().is_ok());
  const DeliveryResult r = sink->send("after");
  INFO(r.detail);
  CHECK(r.kind == Kind::kAccepted);
}

// A loopback listener that never accepts: the kernel completes TCP connects into its backlog,
// and nothing ever answers the TLS ClientHello.
struct SilentListener {
  SilentListener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0);
    REQUIRE(::listen(fd, 16) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port = ntohs(addr.sin_port);
  }
  ~SilentListener() { ::close(fd); }
  int fd = -1;
  int port = 0;
};

TEST_CASE("https sink: a peer that never answers the handshake times out in that phase") {
  SilentListener silent;
  TlsSink s("https://127.0.0.1:" + std::to_string(silent.port) + "/", tls_file("ca.pem"), "",
            std::chrono::milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  const DeliveryResult r = s.send("hs", 1);
  INFO(r.detail);
  CHECK(r.kind == Kind::kRetryable);
  CHECK(r.detail.find("timeout after 300 ms during tls handshake") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
}

TEST_CASE("https sink: a pooled TLS connection closed by the server is replaced silently") {
  TlsFake tls("server", 1);
  TlsSink s(tls.url("127.0.0.1"), tls_file("ca.pem"));
  CHECK(s.send("1").kind == Kind::kAccepted);
  CHECK(s.idle() == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const DeliveryResult r = s.send("2");
  INFO(r.detail);
  CHECK(r.kind == Kind::kAccepted);
}

TEST_CASE("https sink: mutual TLS presents the configured client certificate") {
  TlsFake tls("server", 2, "ca.pem");
  {
    TlsSink s(tls.url("localhost"), tls_file("ca.pem"), "client");
    const DeliveryResult r = s.send("with-cert");
    INFO(r.detail);
    CHECK(r.kind == Kind::kAccepted);
  }
  for (const char* client : {"", "other_client"}) {
    CAPTURE(client);
    TlsSink s(tls.url("localhost"), tls_file("ca.pem"), client);
    const DeliveryResult r = s.send("refused");
    INFO(r.detail);
    CHECK(r.kind == Kind::kRetryable);
  }
  REQUIRE(tls.fake.deliveries().size() == 3);  // front() below needs one
  CHECK(tls.fake.deliveries().front().batch_id == "with-cert");
}

TEST_CASE("https sink: startup refuses a bad CA file and a CA file without https") {
  SystemClock clock;
  test::CaptureLogger logger;
  test::IoRunner io;
  test::TempDir dir;
  SinkContext ctx{io.executor(), &clock, &logger, {}};
  ctx.http.tls.ca_file = dir.sub("missing.pem");
  auto missing = make_downstream("https://localhost/", ctx);
  REQUIRE_FALSE(missing.is_ok());
  CHECK(missing.status().code() == Status::Code::kInvalidArgument);
  CHECK(missing.status().message().find("missing.pem") != std::string::npos);
  ctx.http.tls.ca_file = tls_file("server.key");  // a key, not a certificate
  CHECK(make_downstream("https://localhost/", ctx).status().code() ==
        Status::Code::kInvalidArgument);
  ctx.http.tls.ca_file = tls_file("ca.pem");
  CHECK(make_downstream("http://localhost/", ctx).status().message().find("https") !=
        std::string::npos);
  ctx.http.tls.client_cert = tls_file("client.pem");
  CHECK(make_downstream("https://localhost/", ctx).status().message().find("both") !=
        std::string::npos);
  ctx.http.tls.client_key = tls_file("server.key");  // not the client certificate's key
  const std::string mismatch = make_downstream("https://localhost/", ctx).status().message();
  INFO(mismatch);
  CHECK(mismatch.find("client key") != std::string::npos);
  CHECK(mismatch.find("server.key") != std::string::npos);
  ctx.http.tls.client_key = tls_file("client.key");
  auto ok = make_downstream("https://localhost/", ctx);
  REQUIRE(ok.is_ok());
  (*ok)->stop();
}

}  // namespace
}  // namespace spillway::replay
