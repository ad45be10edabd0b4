#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "common/logger.h"

namespace spillway::test {

// Keeps every formatted line so tests can assert on what was logged. Thread-safe.
class CaptureLogger final : public Logger {
 public:
  void write(LogLevel level, std::string_view component, std::string_view msg,
             std::initializer_list<LogField> fields) override {
    std::lock_guard<std::mutex> lock(mu_);
    lines_.push_back(format_log_line(0, level, component, msg, fields));
  }
  std::vector<std::string> lines() const {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }
  bool contains(const std::string& needle) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& l : lines_)
      if (l.find(needle) != std::string::npos) return true;
    return false;
  }

 private:
  mutable std::mutex mu_;
  // Guarded by mu_.
  std::vector<std::string> lines_;
};

}  // namespace spillway::test
