#include "ingest/quota_refusal_log.h"

#include <doctest/doctest.h>

#include "test/support/capture_logger.h"

namespace spillway::ingest {

TEST_CASE("QuotaRefusalLog: one line when an account starts being refused, one when it stops") {
  test::CaptureLogger log;
  QuotaRefusalLog q(log);
  Status over = Status::resource_exhausted("account acme is over its byte quota (100 bytes)");
  q.refused(AccountId{7}, over);
  q.refused(AccountId{7}, over);
  q.refused(AccountId{7}, over);
  q.accepted(AccountId{8});  // another account: nothing to say
  q.accepted(AccountId{7});
  q.accepted(AccountId{7});
  auto lines = log.lines();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find("quota refusals started") != std::string::npos);
  CHECK(lines[0].find("account_id=7") != std::string::npos);
  CHECK(lines[1].find("quota refusals stopped") != std::string::npos);
  CHECK(lines[1].find("refused=3") != std::string::npos);
}

TEST_CASE("QuotaRefusalLog: the global quota is tracked once for everyone; other errors not") {
  test::CaptureLogger log;
  QuotaRefusalLog q(log);
  q.refused(AccountId{1}, Status::unavailable("write queue is full"));
  CHECK(log.lines().empty());
  q.refused(AccountId{1}, Status::unavailable("global byte quota reached (1000 bytes)"));
  q.refused(AccountId{2}, Status::unavailable("global byte quota reached (1000 bytes)"));
  CHECK(log.lines().size() == 1);
  q.accepted(AccountId{2});
  CHECK(log.lines().size() == 2);
  CHECK(log.contains("global quota has room"));
}

}  // namespace spillway::ingest
