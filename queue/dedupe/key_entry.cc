#include "queue/dedupe/key_entry.h"

#include "common/bytes.h"

namespace spillway::queue::dedupe {

uint64_t KeyId::hash_high() const { return get_be64(reinterpret_cast<const char*>(bytes.data())); }

uint64_t KeyId::hash_low() const {
  uint64_t low = get_be64(reinterpret_cast<const char*>(bytes.data() + 8));
  // The same messageId sent by two accounts must not set the same Bloom bits.
  return low ^ (uint64_t{account().value} * 0x9E3779B97F4A7C15ULL);
}

AccountId KeyId::account() const {
  return AccountId{get_be32(reinterpret_cast<const char*>(bytes.data() + 16))};
}

KeyId make_key_id(const std::array<uint8_t, 16>& hash, AccountId account) {
  KeyId k;
  std::memcpy(k.bytes.data(), hash.data(), hash.size());
  const uint32_t a = account.value;
  k.bytes[16] = static_cast<uint8_t>(a >> 24);
  k.bytes[17] = static_cast<uint8_t>(a >> 16);
  k.bytes[18] = static_cast<uint8_t>(a >> 8);
  k.bytes[19] = static_cast<uint8_t>(a);
  return k;
}

}  // namespace spillway::queue::dedupe
