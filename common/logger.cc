#include "common/logger.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace spillway {
namespace {

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || c == '"' || c == '=' || c == '\\' || u >= 0x7f) return true;
  }
  return false;
}

// Escapes control bytes and quotes so nothing from a client can forge a log line.
void append_value(std::string& out, std::string_view v) {
  if (!needs_quotes(v)) {
    out += v;
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
}

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

void append_time(std::string& out, int64_t wall_ms) {
  std::time_t secs = wall_ms / 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(wall_ms % 1000));
  out += buf;
}

}  // namespace

LogField::LogField(std::string_view k, double v) : key(k) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  value = buf;
}

std::string format_log_line(int64_t wall_ms, LogLevel level, std::string_view component,
                            std::string_view msg, std::initializer_list<LogField> fields) {
  std::string line;
  line.reserve(128);
  line += "ts=";
  append_time(line, wall_ms);
  line += " level=";
  line += level_name(level);
  line += " component=";
  append_value(line, component);
  line += " msg=";
  append_value(line, msg);
  for (const LogField& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    append_value(line, f.value);
  }
  return line;
}

void StderrLogger::write(LogLevel level, std::string_view component, std::string_view msg,
                         std::initializer_list<LogField> fields) {
  if (level < min_level_) return;
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  std::string line = format_log_line(now, level, component, msg, fields);
  if (!node_.empty()) line += " node=" + node_;
  line += '\n';
  // One write(2) per line keeps lines from different threads whole.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

uint64_t LogThrottle::allow(std::chrono::steady_clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  if (first_ || now - last_ >= interval_) {
    first_ = false;
    last_ = now;
    uint64_t n = suppressed_ + 1;
    suppressed_ = 0;
    return n;
  }
  ++suppressed_;
  return 0;
}

}  // namespace spillway
