#pragma once

#include <cstdint>
#include <ctime>
#include <string>

namespace spillway::test {

// ms since the Unix epoch as RFC 3339 UTC with milliseconds ("2026-12-05T16:02:37.733Z"), the
// form the replay API takes. Free function, thread-safe.
inline std::string rfc3339_ms(int64_t ms) {
  std::time_t secs = ms / 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return std::string(buf) + "." + std::to_string(1000 + ms % 1000).substr(1) + "Z";
}

}  // namespace spillway::test
