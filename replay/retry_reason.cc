#include "replay/retry_reason.h"

namespace spillway::replay {

RetryReason classify_retry(const DeliveryResult& result) {
  if (result.http_status == 408) return RetryReason::kTimeout;
  if (result.http_status == 429) return RetryReason::kThrottled;
  if (result.http_status >= 500) return RetryReason::kServerError;
  if (result.http_status == 0) {
    // The HTTP sink words its deadline failures "timeout after N ms".
    bool timeout = result.detail.find("timeout") != std::string::npos ||
                   result.detail.find("timed out") != std::string::npos;
    return timeout ? RetryReason::kTimeout : RetryReason::kConnection;
  }
  return RetryReason::kOther;
}

std::string_view retry_reason_name(RetryReason reason) {
  switch (reason) {
    case RetryReason::kTimeout:
      return "timeout";
    case RetryReason::kConnection:
      return "connection";
    case RetryReason::kThrottled:
      return "throttled";
    case RetryReason::kServerError:
      return "server_error";
    case RetryReason::kOther:
      break;
  }
  return "other";
}

}  // namespace spillway::replay
