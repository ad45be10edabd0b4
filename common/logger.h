#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>

namespace spillway {

enum class LogLevel { kDebug = 0, kInfo, kWarn, kError };

// One key=value pair of a log line. Values are escaped when written, so client-supplied
// strings can never inject CR/LF into the log (RELIABILITY_PLAN FM-43).
struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, int64_t v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, uint64_t v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, int v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, unsigned v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, double v);
  LogField(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  std::string_view key;
  std::string value;
};

// Structured logger: one logfmt line per call ("ts=... level=info component=queue
// msg=\"...\" k=v"). Injected into every component as Logger&; thread-safe.
// Log state changes, not individual events; never pass credentials or event bodies.
class Logger {
 public:
  virtual ~Logger() = default;
  virtual void write(LogLevel level, std::string_view component, std::string_view msg,
                     std::initializer_list<LogField> fields) = 0;

  void debug(std::string_view c, std::string_view m, std::initializer_list<LogField> f = {}) {
    write(LogLevel::kDebug, c, m, f);
  }
  void info(std::string_view c, std::string_view m, std::initializer_list<LogField> f = {}) {
    write(LogLevel::kInfo, c, m, f);
  }
  void warn(std::string_view c, std::string_view m, std::initializer_list<LogField> f = {}) {
    write(LogLevel::kWarn, c, m, f);
  }
  void error(std::string_view c, std::string_view m, std::initializer_list<LogField> f = {}) {
    write(LogLevel::kError, c, m, f);
  }
};

// Formats one logfmt line (no trailing newline). Exposed for tests and other sinks.
std::string format_log_line(int64_t wall_ms, LogLevel level, std::string_view component,
                            std::string_view msg, std::initializer_list<LogField> fields);

// Writes logfmt lines to stderr, one write(2) per line so lines from threads never mix.
class StderrLogger final : public Logger {
 public:
  // `node` (--node-id, already restricted to [A-Za-z0-9._-]) ends every line as node=...
  // when not empty, so logs shipped from several nodes stay attributable.
  explicit StderrLogger(LogLevel min_level = LogLevel::kInfo, std::string node = "")
      : min_level_(min_level), node_(std::move(node)) {}
  void write(LogLevel level, std::string_view component, std::string_view msg,
             std::initializer_list<LogField> fields) override;

 private:
  LogLevel min_level_;
  std::string node_;
};

// Rate limit for a repeated error message: allow() is true at most once per interval and
// reports how many calls were suppressed since (redis AOF_WRITE_LOG_ERROR_RATE). Thread-safe.
class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::milliseconds interval) : interval_(interval) {}
  // Returns the number of suppressed calls since the last allowed one plus one, or 0 when
  // this call must be suppressed.
  uint64_t allow(std::chrono::steady_clock::time_point now);

 private:
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  // Guarded by mu_.
  std::chrono::steady_clock::time_point last_{};
  uint64_t suppressed_ = 0;
  bool first_ = true;
};

}  // namespace spillway
