#include "ingest/request_body.h"

#include <doctest/doctest.h>
#include <zlib.h>

#include <string>

using namespace spillway::ingest;

namespace {

std::string gzip(const std::string& in) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&zs, in.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

HttpRequest with_headers(std::vector<std::pair<std::string, std::string>> headers,
                         std::string body) {
  HttpRequest r;
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

}  // namespace

TEST_CASE("RequestBody: inflates gzip") {
  auto out = inflate_bounded(gzip("hello world"), 100);
  REQUIRE(out.is_ok());
  CHECK(out.value() == "hello world");
}

TEST_CASE("RequestBody: a gzip bomb stops at the bound") {
  std::string zeros(50 << 20, '\0');
  std::string bomb = gzip(zeros);
  CHECK(bomb.size() < 100'000);
  auto out = inflate_bounded(bomb, 5 << 20);
  REQUIRE_FALSE(out.is_ok());
  CHECK(out.status().message().rfind("too_large: ", 0) == 0);
}

TEST_CASE("RequestBody: exactly the bound is accepted") {
  auto out = inflate_bounded(gzip(std::string(1000, 'x')), 1000);
  CHECK(out.is_ok());
  CHECK_FALSE(inflate_bounded(gzip(std::string(1001, 'x')), 1000).is_ok());
}

TEST_CASE("RequestBody: corrupt and truncated gzip are rejected") {
  std::string g = gzip(std::string(10000, 'y'));
  CHECK_FALSE(inflate_bounded(g.substr(0, g.size() / 2), 1 << 20).is_ok());
  CHECK_FALSE(inflate_bounded("not gzip at all", 1 << 20).is_ok());
}

TEST_CASE("RequestBody: content encoding and type checks") {
  auto br = with_headers({{"content-encoding", "br"}}, "{}");
  auto r = decoded_body(br, 100);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().message().rfind("unsupported_media_type: ", 0) == 0);
  auto gz = with_headers({{"content-encoding", "gzip"}}, gzip("{\"a\":1}"));
  CHECK(decoded_body(gz, 100).value() == "{\"a\":1}");
  auto big = with_headers({}, std::string(101, 'x'));
  CHECK_FALSE(decoded_body(big, 100).is_ok());

  CHECK(body_format(with_headers({}, ""), false).value() == BodyFormat::kJson);
  CHECK(body_format(with_headers({{"content-type", "application/json; charset=utf-8"}}, ""), false)
            .is_ok());
  CHECK(body_format(with_headers({{"content-type", "Text/Plain"}}, ""), false).is_ok());
  CHECK_FALSE(body_format(with_headers({{"content-type", "text/html"}}, ""), false).is_ok());
  CHECK_FALSE(
      body_format(with_headers({{"content-type", "application/x-ndjson"}}, ""), false).is_ok());
  CHECK(body_format(with_headers({{"content-type", "application/x-ndjson"}}, ""), true).value() ==
        BodyFormat::kNdjson);
}
