#pragma once

#include <array>
#include <string_view>

#include "replay/downstream.h"

namespace spillway::replay {

// Why a delivery is retried, for the retries metric (bounded label set).
enum class RetryReason { kTimeout, kConnection, kThrottled, kServerError, kOther };
inline constexpr size_t kRetryReasons = 5;

// Classifies a retryable result: 408 or a transport timeout -> kTimeout, no HTTP response ->
// kConnection, 429 -> kThrottled, 5xx -> kServerError, anything else -> kOther.
RetryReason classify_retry(const DeliveryResult& result);
// "timeout", "connection", "throttled", "server_error", "other".
std::string_view retry_reason_name(RetryReason reason);

}  // namespace spillway::replay
