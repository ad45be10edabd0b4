#include "queue/dedupe/index_codec.h"

#include "common/bytes.h"
#include "common/crc32c.h"

namespace spillway::queue::dedupe::codec {
namespace {

constexpr uint8_t kVersion = 1;

std::string_view id_view(const KeyId& id) {
  return {reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size()};
}

KeyId get_id(const char* p) {
  KeyId id;
  std::memcpy(id.bytes.data(), p, id.bytes.size());
  return id;
}

}  // namespace

void put_entry(std::string& out, const KeyEntry& e) {
  out.append(id_view(e.id));
  put_be64(out, e.seq.value);
  put_be64(out, static_cast<uint64_t>(e.seen_ms));
}

KeyEntry get_entry(const char* p) {
  return KeyEntry{get_id(p), Seq{get_be64(p + 20)}, static_cast<int64_t>(get_be64(p + 28))};
}

std::string log_key(uint64_t pos) { return u64_value(pos); }

Result<uint64_t> parse_log_key(std::string_view key) { return parse_u64(key); }

std::string log_value(const KeyEntry& e) {
  std::string v;
  put_entry(v, e);
  return v;
}

Result<KeyEntry> parse_log_value(std::string_view value) {
  if (value.size() != kKeyEntrySize) return Status::corruption("dedupe key-log row is damaged");
  return get_entry(value.data());
}

std::string block_key(uint64_t run, const KeyId& last) {
  std::string k;
  put_be64(k, run);
  k.append(id_view(last));
  return k;
}

Result<BlockKey> parse_block_key(std::string_view key) {
  if (key.size() != 8 + 20) return Status::corruption("dedupe block key is damaged");
  return BlockKey{get_be64(key.data()), get_id(key.data() + 8)};
}

// version:u8 reserved:u8 count:u16 crc32c:u32 entries
std::string block_value(std::span<const KeyEntry> entries) {
  std::string body;
  body.reserve(entries.size() * kKeyEntrySize);
  for (const KeyEntry& e : entries) put_entry(body, e);
  std::string v;
  v.reserve(kBlockHeaderSize + body.size());
  put_u8(v, kVersion);
  put_u8(v, 0);
  v.push_back(static_cast<char>(entries.size() >> 8));
  v.push_back(static_cast<char>(entries.size()));
  put_be32(v, crc32c(body));
  v += body;
  return v;
}

Result<BlockView> parse_block_value(std::string_view value) {
  if (value.size() < kBlockHeaderSize || static_cast<uint8_t>(value[0]) != kVersion) {
    return Status::corruption("dedupe block header is damaged");
  }
  size_t count = (size_t{static_cast<uint8_t>(value[2])} << 8) | static_cast<uint8_t>(value[3]);
  std::string_view body = value.substr(kBlockHeaderSize);
  if (count == 0 || count > kBlockEntries || body.size() != count * kKeyEntrySize) {
    return Status::corruption("dedupe block has a wrong entry count");
  }
  if (crc32c(body) != get_be32(value.data() + 4)) {
    return Status::corruption("dedupe block CRC mismatch");
  }
  return BlockView{count, body};
}

std::string bloom_key(uint64_t run, uint32_t chunk) {
  std::string k;
  put_be64(k, run);
  put_be32(k, chunk);
  return k;
}

Result<uint64_t> parse_bloom_run(std::string_view key) {
  if (key.size() != 12) return Status::corruption("dedupe bloom key is damaged");
  return get_be64(key.data());
}

std::string bloom_value(std::string_view bits) {
  std::string v;
  v.reserve(4 + bits.size());
  put_be32(v, crc32c(bits));
  v.append(bits);
  return v;
}

Result<std::string_view> bloom_bits(std::string_view value) {
  if (value.size() < 4) return Status::corruption("dedupe bloom chunk is damaged");
  return value.substr(4);
}

Status check_bloom_crc(std::string_view value) {
  auto bits = bloom_bits(value);
  if (!bits) return bits.status();
  if (crc32c(*bits) != get_be32(value.data())) {
    return Status::corruption("dedupe bloom chunk CRC mismatch");
  }
  return Status::ok();
}

std::string run_key(uint64_t id) { return u64_value(id); }

// version:u8 level:u8 reserved:u16 chunk_blocks:u32 count:u64 min_seen:i64 max_seen:i64
// blocks:u64 bloom_blocks:u64 crc32c:u32 (of everything before it)
std::string run_value(const RunInfo& r) {
  std::string v;
  put_u8(v, kVersion);
  put_u8(v, r.level);
  v.append(2, '\0');
  put_be32(v, r.chunk_blocks);
  put_be64(v, r.count);
  put_be64(v, static_cast<uint64_t>(r.min_seen_ms));
  put_be64(v, static_cast<uint64_t>(r.max_seen_ms));
  put_be64(v, r.blocks);
  put_be64(v, r.bloom_blocks);
  put_be32(v, crc32c(v));
  return v;
}

Result<RunInfo> parse_run(std::string_view key, std::string_view value) {
  auto id = parse_u64(key);
  constexpr size_t kSize = 8 + 5 * 8 + 4;
  if (!id || value.size() != kSize || static_cast<uint8_t>(value[0]) != kVersion ||
      crc32c(value.substr(0, kSize - 4)) != get_be32(value.data() + kSize - 4)) {
    return Status::corruption("dedupe run record is damaged");
  }
  const char* p = value.data();
  RunInfo r;
  r.id = *id;
  r.level = static_cast<uint8_t>(p[1]);
  r.chunk_blocks = get_be32(p + 4);
  r.count = get_be64(p + 8);
  r.min_seen_ms = static_cast<int64_t>(get_be64(p + 16));
  r.max_seen_ms = static_cast<int64_t>(get_be64(p + 24));
  r.blocks = get_be64(p + 32);
  r.bloom_blocks = get_be64(p + 40);
  return r;
}

std::string u64_value(uint64_t v) {
  std::string s;
  put_be64(s, v);
  return s;
}

Result<uint64_t> parse_u64(std::string_view v) {
  if (v.size() != 8) return Status::corruption("expected an 8-byte value");
  return get_be64(v.data());
}

}  // namespace spillway::queue::dedupe::codec
