#include "replay/downstream_factory.h"

#include <doctest/doctest.h>

#include "common/clock.h"
#include "replay/null_downstream.h"
#include "replay/sink_url.h"
#include "test/replay/sink_fixture.h"
#include "test/support/capture_logger.h"
#include "test/support/temp_dir.h"

namespace spillway::replay {
namespace {

using Scheme = SinkUrl::Scheme;

SinkUrl parse_ok(std::string_view text) {
  Result<SinkUrl> r = parse_sink_url(text);
  INFO(text, " -> ", r.status().to_string());
  REQUIRE(r.is_ok());
  return *r;
}

std::string parse_error(std::string_view text) {
  Result<SinkUrl> r = parse_sink_url(text);
  INFO(text);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  return r.status().message();
}

TEST_CASE("parse_sink_url: http URLs") {
  const SinkUrl a = parse_ok("http://example.com:8080/hook/in?token=x");
  CHECK(a.scheme == Scheme::kHttp);
  CHECK(a.host == "example.com");
  CHECK(a.port == 8080);
  CHECK(a.target == "/hook/in?token=x");
  const SinkUrl b = parse_ok("HTTP://10.0.0.1");
  CHECK(b.port == 80);
  CHECK(b.target == "/");
  const SinkUrl c = parse_ok("http://[::1]:9000/x");
  CHECK(c.host == "::1");
  CHECK(c.port == 9000);
  CHECK(parse_ok("https://h/").port == 443);
  CHECK(parse_ok("http://h?q=1").target == "/?q=1");
}

TEST_CASE("parse_sink_url: file and null") {
  CHECK(parse_ok("file:out/sink.ndjson").path == "out/sink.ndjson");
  CHECK(parse_ok("file:/var/x.ndjson").path == "/var/x.ndjson");
  CHECK(parse_ok("file:///var/x.ndjson").path == "/var/x.ndjson");
  CHECK(parse_ok("null:").scheme == Scheme::kNull);
}

TEST_CASE("parse_sink_url: errors say what is wrong without echoing the URL") {
  CHECK(parse_error("example.com/hook").find("missing scheme") != std::string::npos);
  CHECK(parse_error("ftp://h/").find("unknown scheme") != std::string::npos);
  CHECK(parse_error("http:/h").find("must start with http://") != std::string::npos);
  CHECK(parse_error("http:///x").find("empty host") != std::string::npos);
  CHECK(parse_error("http://h:0/").find("port") != std::string::npos);
  CHECK(parse_error("http://h:99999/").find("port") != std::string::npos);
  CHECK(parse_error("http://h:/").find("empty port") != std::string::npos);
  CHECK(parse_error("http://h:8x/").find("port") != std::string::npos);
  CHECK(parse_error("http://user:secret@h/").find("user info") != std::string::npos);
  CHECK(parse_error("http://user:secret@h/").find("secret") == std::string::npos);
  CHECK(parse_error("http://h/x#frag").find("fragment") != std::string::npos);
  CHECK(parse_error("http://h/a b").find("spaces") != std::string::npos);
  CHECK(parse_error("http://[::1/").find("IPv6") != std::string::npos);
  CHECK(parse_error("file:").find("path") != std::string::npos);
  CHECK(parse_error("file://relative").find("absolute") != std::string::npos);
  CHECK(parse_error("null:x").find("no argument") != std::string::npos);
}

TEST_CASE("make_downstream: builds each sink kind") {
  SystemClock clock;
  test::CaptureLogger logger;
  test::IoRunner io;
  test::TempDir dir;
  const SinkContext ctx{io.executor(), &clock, &logger, {}};
  auto null_sink = make_downstream("null:", ctx);
  REQUIRE(null_sink.is_ok());
  CHECK(test::deliver_sync(**null_sink, test::batch_of("b", "a", 1, 3)).kind ==
        DeliveryResult::Kind::kAccepted);
  auto file_sink = make_downstream("file:" + dir.sub("s.ndjson"), ctx);
  REQUIRE(file_sink.is_ok());
  auto http_sink = make_downstream("http://127.0.0.1:1/x", ctx);
  REQUIRE(http_sink.is_ok());
  auto https_sink = make_downstream("https://h/", ctx);  // the system CA store
  REQUIRE(https_sink.is_ok());
  CHECK(make_downstream("file:" + dir.sub("no/such/dir"), ctx).status().code() ==
        Status::Code::kIoError);
  CHECK(make_downstream("bogus", ctx).status().code() == Status::Code::kInvalidArgument);
  for (auto* s : {&null_sink, &file_sink, &http_sink, &https_sink}) (**s)->stop();
}

TEST_CASE("NullDownstream: accepts at once, counts, refuses after stop") {
  NullDownstream sink;
  CHECK(test::deliver_sync(sink, test::batch_of("b", "a", 1, 4)).kind ==
        DeliveryResult::Kind::kAccepted);
  CHECK(sink.accepted_events() == 4);
  sink.stop();
  CHECK(test::deliver_sync(sink, test::batch_of("b", "a", 1, 4)).kind ==
        DeliveryResult::Kind::kRetryable);
}

}  // namespace
}  // namespace spillway::replay
