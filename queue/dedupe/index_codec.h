#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "queue/dedupe/key_entry.h"

// Byte layouts of the idempotency index's tables (docs/storage.md, "Idempotency index").
// Integers are big-endian so that LMDB's memcmp order is numeric order.
namespace spillway::queue::dedupe::codec {

inline constexpr std::string_view kMetaSealedPos = "dedupe_sealed_pos";
// Entries per run block: 8 header bytes + 112 x 36 = 4,040 bytes, one LMDB overflow page.
inline constexpr size_t kBlockEntries = 112;
inline constexpr size_t kBlockHeaderSize = 8;

// One entry as stored in key-log rows and run blocks (36 bytes).
void put_entry(std::string& out, const KeyEntry& e);
KeyEntry get_entry(const char* p);  // reads exactly kKeyEntrySize bytes

// `dedupe_log`: key = position u64, value = one entry.
std::string log_key(uint64_t pos);
Result<uint64_t> parse_log_key(std::string_view key);
std::string log_value(const KeyEntry& e);
Result<KeyEntry> parse_log_value(std::string_view value);

// `dedupe_blocks`: key = run id u64 + the block's last KeyId (so that MDB_SET_RANGE on
// run + KeyId lands on the only block that may hold it); value = header + sorted entries.
std::string block_key(uint64_t run, const KeyId& last);
struct BlockKey {
  uint64_t run = 0;
  KeyId last;
};
Result<BlockKey> parse_block_key(std::string_view key);
std::string block_value(std::span<const KeyEntry> entries);
// A verified block: its CRC matched. `data` borrows the value (dies with the transaction).
struct BlockView {
  size_t count = 0;
  std::string_view data;
  KeyEntry at(size_t i) const { return get_entry(data.data() + i * kKeyEntrySize); }
};
// kCorruption for a short value, an unknown version or a CRC mismatch.
Result<BlockView> parse_block_value(std::string_view value);

// `dedupe_bloom`: key = run id u64 + chunk u32; value = crc32c u32 + the chunk's bits.
std::string bloom_key(uint64_t run, uint32_t chunk);
Result<uint64_t> parse_bloom_run(std::string_view key);
std::string bloom_value(std::string_view bits);
// The bits, not checked against the CRC (too costly per lookup: `verify` checks it).
Result<std::string_view> bloom_bits(std::string_view value);
Status check_bloom_crc(std::string_view value);

// `dedupe_runs`: one row per live run.
struct RunInfo {
  uint64_t id = 0;
  uint8_t level = 0;        // 0: sealed from the recent table; n: n merges deep
  uint64_t count = 0;       // entries
  int64_t min_seen_ms = 0;  // oldest and newest entry; the run expires with the newest
  int64_t max_seen_ms = 0;
  uint64_t blocks = 0;
  uint64_t bloom_blocks = 0;  // 64-byte Bloom blocks
  uint32_t chunk_blocks = 0;  // Bloom blocks per `dedupe_bloom` row
  bool operator==(const RunInfo&) const = default;
};
std::string run_key(uint64_t id);
std::string run_value(const RunInfo& run);
Result<RunInfo> parse_run(std::string_view key, std::string_view value);

std::string u64_value(uint64_t v);
Result<uint64_t> parse_u64(std::string_view v);

}  // namespace spillway::queue::dedupe::codec
