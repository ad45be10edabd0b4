#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/ids.h"
#include "common/result.h"

// Byte layouts of the retained-events table (docs/storage.md, "Retained events"). Integers are
// big-endian so that LMDB's memcmp order is numeric order.
namespace spillway::queue::retain::codec {

inline constexpr std::string_view kMetaRetained = "retained";
// version u8, flags u8, reserved u16, crc32c u32, delivered_ms i64, received_ms i64,
// account u32, seq u64 (36 bytes).
inline constexpr size_t kRetainedHeaderSize = 36;

// One delivered event as kept for replay. `payload` borrows (from the caller or the map).
struct RetainedRow {
  uint64_t id = 0;  // position in delivery order (the key)
  int64_t delivered_ms = 0;
  int64_t received_ms = 0;
  AccountId account;
  Seq seq;
  std::string_view payload;
};

// `retained`: key = id u64, written with MDB_APPEND.
std::string retained_key(uint64_t id);
Result<uint64_t> parse_retained_key(std::string_view key);
std::string retained_value(const RetainedRow& row);
// kCorruption for a short value, an unknown version or a CRC mismatch. `id` is left 0.
Result<RetainedRow> parse_retained_value(std::string_view value);

// `meta` "retained": what boot needs without a scan. Kept in the transaction that changes the
// table, so it always equals a scan.
struct RetainedTotals {
  uint64_t next_id = 1;
  uint64_t events = 0;
  uint64_t bytes = 0;             // payload bytes
  int64_t last_delivered_ms = 0;  // delivered_ms never goes below it (keys stay time-ordered)
  bool operator==(const RetainedTotals&) const = default;
};
std::string totals_value(const RetainedTotals& t);
Result<RetainedTotals> parse_totals(std::string_view value);

}  // namespace spillway::queue::retain::codec
