#include "queue/retain/retained_codec.h"

#include "common/bytes.h"
#include "common/crc32c.h"

namespace spillway::queue::retain::codec {
namespace {
constexpr uint8_t kRowVersion = 1;
constexpr size_t kCrcOffset = 4;
constexpr size_t kTotalsSize = 32;
}  // namespace

std::string retained_key(uint64_t id) {
  std::string k;
  put_be64(k, id);
  return k;
}

Result<uint64_t> parse_retained_key(std::string_view key) {
  if (key.size() != 8) return Status::corruption("retained key of " + std::to_string(key.size()));
  return get_be64(key.data());
}

// The CRC covers everything after it, so a damaged account or seq is caught as well.
std::string retained_value(const RetainedRow& row) {
  std::string v;
  v.reserve(kRetainedHeaderSize + row.payload.size());
  put_u8(v, kRowVersion);
  put_u8(v, 0);  // flags
  put_u8(v, 0);  // reserved
  put_u8(v, 0);
  put_be32(v, 0);  // crc32c, filled below
  put_be64(v, static_cast<uint64_t>(row.delivered_ms));
  put_be64(v, static_cast<uint64_t>(row.received_ms));
  put_be32(v, row.account.value);
  put_be64(v, row.seq.value);
  v.append(row.payload);
  std::string crc;
  put_be32(crc, crc32c(std::string_view(v).substr(kCrcOffset + 4)));
  v.replace(kCrcOffset, 4, crc);
  return v;
}

Result<RetainedRow> parse_retained_value(std::string_view value) {
  if (value.size() < kRetainedHeaderSize)
    return Status::corruption("retained record shorter than header");
  if (static_cast<uint8_t>(value[0]) != kRowVersion) {
    return Status::corruption("retained record has unknown version " +
                              std::to_string(static_cast<uint8_t>(value[0])));
  }
  uint32_t stored = get_be32(value.data() + kCrcOffset);
  uint32_t actual = crc32c(value.substr(kCrcOffset + 4));
  if (stored != actual) {
    return Status::corruption("retained record CRC32C mismatch (stored " + std::to_string(stored) +
                              ", computed " + std::to_string(actual) + ")");
  }
  RetainedRow row;
  row.delivered_ms = static_cast<int64_t>(get_be64(value.data() + 8));
  row.received_ms = static_cast<int64_t>(get_be64(value.data() + 16));
  row.account = AccountId{get_be32(value.data() + 24)};
  row.seq = Seq{get_be64(value.data() + 28)};
  row.payload = value.substr(kRetainedHeaderSize);
  return row;
}

std::string totals_value(const RetainedTotals& t) {
  std::string v;
  for (uint64_t n : {t.next_id, t.events, t.bytes, static_cast<uint64_t>(t.last_delivered_ms)})
    put_be64(v, n);
  return v;
}

Result<RetainedTotals> parse_totals(std::string_view value) {
  if (value.size() != kTotalsSize) return Status::corruption("meta retained has a bad size");
  RetainedTotals t;
  t.next_id = get_be64(value.data());
  t.events = get_be64(value.data() + 8);
  t.bytes = get_be64(value.data() + 16);
  t.last_delivered_ms = static_cast<int64_t>(get_be64(value.data() + 24));
  return t;
}

}  // namespace spillway::queue::retain::codec
