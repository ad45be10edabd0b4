#pragma once

#include <utility>
#include <variant>

#include "common/assert.h"
#include "common/status.h"

namespace spillway {

// Holds either a T or a non-OK Status. Becomes std::expected<T, Status> with C++23.
// Copyable when T is.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    SPW_ASSERT(!std::get<Status>(v_).is_ok());
  }

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return is_ok(); }

  const Status& status() const {
    static const Status kOkStatus;
    return is_ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & {
    SPW_ASSERT(is_ok());
    return std::get<T>(v_);
  }
  const T& value() const& {
    SPW_ASSERT(is_ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    SPW_ASSERT(is_ok());
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace spillway
