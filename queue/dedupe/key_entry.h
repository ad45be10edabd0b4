#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>

#include "common/ids.h"

namespace spillway::queue::dedupe {

// The identity of a remembered idempotency key: the first 16 bytes of SHA-256(key) followed by
// the account id (big-endian). Runs are sorted by these 20 bytes under memcmp, hash first, so
// that the position of a key in a run and its Bloom block rise together (detail: bloom.h).
// Copyable value type.
struct KeyId {
  std::array<uint8_t, 20> bytes{};
  auto operator<=>(const KeyId& o) const {
    return std::memcmp(bytes.data(), o.bytes.data(), bytes.size()) <=> 0;
  }
  bool operator==(const KeyId& o) const = default;
  // The top 64 bits of the hash: uniform, and monotonic in the sort order.
  uint64_t hash_high() const;
  // 64 further bits mixing the hash's low half with the account, for the Bloom bit positions.
  uint64_t hash_low() const;
  AccountId account() const;
};

KeyId make_key_id(const std::array<uint8_t, 16>& hash, AccountId account);

// One remembered key: where its first copy is, and when it was seen (the window runs from here).
// Copyable value type; 36 bytes on disk (docs/storage.md, "Idempotency index").
struct KeyEntry {
  KeyId id;
  Seq seq;
  int64_t seen_ms = 0;
  bool operator==(const KeyEntry&) const = default;
};

inline constexpr size_t kKeyEntrySize = 36;

}  // namespace spillway::queue::dedupe

template <>
struct std::hash<spillway::queue::dedupe::KeyId> {
  size_t operator()(const spillway::queue::dedupe::KeyId& k) const noexcept {
    return static_cast<size_t>(k.hash_high() ^ k.hash_low());
  }
};
