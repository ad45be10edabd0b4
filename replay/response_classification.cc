#include "replay/response_classification.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>

namespace spillway::replay {
namespace {

constexpr int64_t kMaxRetryAfterMs = 24LL * 3600 * 1000;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<int> parse_digits(std::string_view s, size_t n) {
  if (s.size() != n) return std::nullopt;
  int v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<unsigned> parse_month(std::string_view s) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (unsigned i = 0; i < kMonths.size(); ++i)
    if (kMonths[i] == s) return i + 1;
  return std::nullopt;
}

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 5.6.7), fixed width.
std::optional<int64_t> parse_imf_fixdate_ms(std::string_view v) {
  if (v.size() != 29 || v[3] != ',' || v[4] != ' ' || v.substr(25) != " GMT") return std::nullopt;
  if (v[7] != ' ' || v[11] != ' ' || v[16] != ' ' || v[19] != ':' || v[22] != ':')
    return std::nullopt;
  const auto day = parse_digits(v.substr(5, 2), 2);
  const auto month = parse_month(v.substr(8, 3));
  const auto year = parse_digits(v.substr(12, 4), 4);
  const auto hh = parse_digits(v.substr(17, 2), 2);
  const auto mm = parse_digits(v.substr(20, 2), 2);
  const auto ss = parse_digits(v.substr(23, 2), 2);
  if (!day || !month || !year || !hh || !mm || !ss) return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{std::chrono::year(*year), std::chrono::month(*month),
                           std::chrono::day(static_cast<unsigned>(*day))};
  if (!ymd.ok() || *hh > 23 || *mm > 59 || *ss > 60) return std::nullopt;
  const auto tp = sys_days(ymd) + hours(*hh) + minutes(*mm) + seconds(*ss);
  return duration_cast<milliseconds>(tp.time_since_epoch()).count();
}

bool is_retryable_status(int status) { return status == 408 || status == 429 || status >= 500; }

}  // namespace

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           int64_t now_wall_ms) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    if (value.size() > 9) return std::chrono::milliseconds(kMaxRetryAfterMs);
    int64_t secs = 0;
    std::from_chars(value.data(), value.data() + value.size(), secs);
    return std::chrono::milliseconds(std::min(secs * 1000, kMaxRetryAfterMs));
  }
  const auto at = parse_imf_fixdate_ms(value);
  if (!at) return std::nullopt;
  const int64_t wait = std::clamp<int64_t>(*at - now_wall_ms, 0, kMaxRetryAfterMs);
  return std::chrono::milliseconds(wait);
}

std::string sanitize_detail(std::string_view text, size_t max_bytes) {
  std::string out(text.substr(0, max_bytes));
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F) c = '?';
  }
  return out;
}

DeliveryResult classify_response(const HttpOutcome& response, int64_t now_wall_ms) {
  DeliveryResult r;
  r.http_status = response.status;
  r.detail = "HTTP " + std::to_string(response.status);
  const int s = response.status;
  if (s >= 200 && s <= 299) {
    r.kind = DeliveryResult::Kind::kAccepted;
  } else if (s >= 300 && s <= 399) {
    r.kind = DeliveryResult::Kind::kRetryable;
    r.detail += " redirect not followed";
  } else if (is_retryable_status(s) || s < 200) {
    r.kind = DeliveryResult::Kind::kRetryable;
  } else {
    r.kind = DeliveryResult::Kind::kRejected;
  }
  if (r.kind == DeliveryResult::Kind::kRetryable && !response.retry_after.empty())
    r.retry_after = parse_retry_after(response.retry_after, now_wall_ms);
  if (!response.body.empty())
    r.detail += ": " + sanitize_detail(response.body, kMaxDetailBodyBytes);
  if (response.body_truncated) r.detail += " (response body over the bound, not read further)";
  return r;
}

}  // namespace spillway::replay
