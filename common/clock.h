#pragma once

#include <chrono>
#include <cstdint>

namespace spillway {

// Time source, injected so tests can drive time (see test/support/manual_clock.h).
// wall_ms() is for timestamps shown to users and stored with events; steady() is for
// every timeout, rate and backoff (a wall-clock step must never cause a retry storm).
// Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t wall_ms() const = 0;
  virtual std::chrono::steady_clock::time_point steady() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t wall_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::chrono::steady_clock::time_point steady() const override {
    return std::chrono::steady_clock::now();
  }
};

}  // namespace spillway
