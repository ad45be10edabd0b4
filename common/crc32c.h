#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace spillway {

// CRC-32C (Castagnoli), as used by iSCSI, ext4 and leveldb. Uses the SSE4.2 instruction
// when the CPU has it and a table otherwise; both give identical results.
uint32_t crc32c(std::span<const std::byte> data, uint32_t seed = 0);
inline uint32_t crc32c(std::string_view data, uint32_t seed = 0) {
  return crc32c(std::as_bytes(std::span(data.data(), data.size())), seed);
}

}  // namespace spillway
