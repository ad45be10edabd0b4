#include "common/rfc3339.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace spillway {
namespace {

// Reads exactly `n` digits at `at`; nullopt otherwise.
std::optional<int> digits(std::string_view s, size_t at, size_t n) {
  if (at + n > s.size()) return std::nullopt;
  int v = 0;
  auto [end, ec] = std::from_chars(s.data() + at, s.data() + at + n, v);
  if (ec != std::errc() || end != s.data() + at + n) return std::nullopt;
  return v;
}

// The offset after the seconds (and fraction): "Z" or "+HH:MM"/"-HH:MM", in minutes.
std::optional<int> offset_minutes(std::string_view s, size_t at) {
  if (at + 1 == s.size() && (s[at] == 'Z' || s[at] == 'z')) return 0;
  if (at + 6 != s.size() || (s[at] != '+' && s[at] != '-') || s[at + 3] != ':') return std::nullopt;
  auto h = digits(s, at + 1, 2), m = digits(s, at + 4, 2);
  if (!h || !m || *h > 23 || *m > 59) return std::nullopt;
  return (s[at] == '-' ? -1 : 1) * (*h * 60 + *m);
}

}  // namespace

std::optional<int64_t> parse_rfc3339_ms(std::string_view s) {
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  auto y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  auto h = digits(s, 11, 2), mi = digits(s, 14, 2), se = digits(s, 17, 2);
  if (!y || !mo || !d || !h || !mi || !se || *mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 ||
      *mi > 59 || *se > 60) {
    return std::nullopt;
  }
  size_t at = 19;
  int64_t ms = 0;
  if (s[at] == '.') {
    size_t start = ++at;
    while (at < s.size() && s[at] >= '0' && s[at] <= '9') ++at;
    if (at == start) return std::nullopt;
    for (size_t i = start; i < start + 3; ++i) ms = ms * 10 + (i < at ? s[i] - '0' : 0);
  }
  auto offset = offset_minutes(s, at);
  if (!offset) return std::nullopt;
  std::tm tm{};
  tm.tm_year = *y - 1900;
  tm.tm_mon = *mo - 1;
  tm.tm_mday = *d;
  tm.tm_hour = *h;
  tm.tm_min = *mi;
  tm.tm_sec = *se;
  const int64_t seconds = static_cast<int64_t>(timegm(&tm)) - int64_t{*offset} * 60;
  return seconds * 1000 + ms;
}

std::string format_rfc3339_ms(int64_t unix_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> tp{milliseconds(unix_ms)};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> tod{tp - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(tod.hours().count()),
                static_cast<int>(tod.minutes().count()), static_cast<int>(tod.seconds().count()),
                static_cast<int>(tod.subseconds().count()));
  return buf;
}

}  // namespace spillway
