#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace spillway {

// Strong ids: an account id and a sequence number can never be swapped by accident.
// All are copyable value types.
struct AccountId {
  uint32_t value = 0;
  auto operator<=>(const AccountId&) const = default;
};

// Position of an event inside its account's queue. Strictly increasing per account,
// never reused (gaps are allowed).
struct Seq {
  uint64_t value = 0;
  auto operator<=>(const Seq&) const = default;
};

}  // namespace spillway

template <>
struct std::hash<spillway::AccountId> {
  size_t operator()(spillway::AccountId id) const noexcept {
    return std::hash<uint32_t>{}(id.value);
  }
};
