#include "replay/response_classification.h"

#include <doctest/doctest.h>

namespace spillway::replay {
namespace {

using Kind = DeliveryResult::Kind;
using std::chrono::milliseconds;

// 2015-10-21T07:28:00Z
constexpr int64_t kDateMs = 1'445'412'480'000;

DeliveryResult classify(int status, std::string_view body = {}, std::string_view retry = {}) {
  return classify_response(HttpOutcome{status, body, retry, false}, kDateMs);
}

TEST_CASE("classify_response: each status class") {
  CHECK(classify(200).kind == Kind::kAccepted);
  CHECK(classify(204).kind == Kind::kAccepted);
  for (int s : {408, 429, 500, 502, 503, 504, 599}) CHECK(classify(s).kind == Kind::kRetryable);
  for (int s : {400, 401, 403, 404, 409, 413, 422}) CHECK(classify(s).kind == Kind::kRejected);
  for (int s : {301, 302, 307, 308}) {
    const DeliveryResult r = classify(s);
    CHECK(r.kind == Kind::kRetryable);
    CHECK(r.detail.find("redirect not followed") != std::string::npos);
  }
  CHECK(classify(101).kind == Kind::kRetryable);
  CHECK(classify(503).http_status == 503);
}

TEST_CASE("classify_response: detail holds the status and a sanitized, bounded body") {
  const std::string body = "bad\r\nevent\x01" + std::string(2000, 'x');
  const DeliveryResult r = classify(400, body);
  CHECK(r.detail.rfind("HTTP 400: bad??event?x", 0) == 0);
  CHECK(r.detail.size() <= kMaxDetailBodyBytes + 16);
}

TEST_CASE("parse_retry_after: delay-seconds and HTTP-date") {
  CHECK(parse_retry_after("120", kDateMs) == milliseconds(120'000));
  CHECK(parse_retry_after(" 0 ", kDateMs) == milliseconds(0));
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", kDateMs) == milliseconds(30'000));
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", kDateMs) == milliseconds(0));
  CHECK(parse_retry_after("99999999999", kDateMs) == milliseconds(24LL * 3600 * 1000));
  CHECK_FALSE(parse_retry_after("soon", kDateMs));
  CHECK_FALSE(parse_retry_after("-5", kDateMs));
  CHECK_FALSE(parse_retry_after("Wed, 32 Oct 2015 07:28:30 GMT", kDateMs));
  CHECK_FALSE(parse_retry_after("", kDateMs));
}

TEST_CASE("classify_response: Retry-After is attached to retryable answers only") {
  CHECK(classify(429, {}, "3").retry_after == milliseconds(3000));
  CHECK(classify(503, {}, "Wed, 21 Oct 2015 07:28:05 GMT").retry_after == milliseconds(5000));
  CHECK_FALSE(classify(400, {}, "3").retry_after);
  CHECK_FALSE(classify(503, {}, "garbage").retry_after);
}

}  // namespace
}  // namespace spillway::replay
