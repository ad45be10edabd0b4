#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace spillway {

// A cheap value type carrying the outcome of an operation (leveldb style).
// Copyable. The codes map one-to-one onto HTTP statuses at the ingest edge:
// kInvalidArgument -> 400, kResourceExhausted -> 429/503, kUnavailable and
// kShuttingDown -> 503, everything else -> 500.
class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,
    kNotFound,
    kAlreadyExists,
    kCorruption,
    kIoError,
    kResourceExhausted,
    kUnavailable,
    kShuttingDown,
  };

  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }
  static Status invalid_argument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status not_found(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status already_exists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
  static Status corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status io_error(std::string m) { return {Code::kIoError, std::move(m)}; }
  static Status resource_exhausted(std::string m) {
    return {Code::kResourceExhausted, std::move(m)};
  }
  static Status unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status shutting_down(std::string m) { return {Code::kShuttingDown, std::move(m)}; }

  bool is_ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "ResourceExhausted: global quota reached" (or "OK").
  std::string to_string() const;
  static std::string_view code_name(Code code);

  bool operator==(const Status&) const = default;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace spillway
