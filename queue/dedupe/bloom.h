#pragma once

#include <cstdint>
#include <string_view>

#include "queue/dedupe/key_entry.h"

// A blocked Bloom filter: every key sets kBits bits inside one 64-byte block (one cache line,
// one page touched per probe). The block is chosen from the key's top hash bits by
// multiply-shift, which is monotonic in the run's sort order, so a run written in key order
// fills its filter front to back and never holds more than one chunk of it in memory.
// ~10 bits per key gives about 1% false positives. Pure functions; any thread.
namespace spillway::queue::dedupe::bloom {

inline constexpr size_t kBlockBytes = 64;
inline constexpr unsigned kBits = 7;
inline constexpr uint64_t kBitsPerKey = 10;
// Upper bound of one `dedupe_bloom` row: a merge holds one chunk in memory at a time, and a
// lookup fetches one row per run and chunk.
inline constexpr uint64_t kMaxChunkBytes = uint64_t{1} << 20;

struct Shape {
  uint64_t blocks = 1;        // 64-byte blocks in the whole filter
  uint32_t chunk_blocks = 1;  // blocks per stored chunk
  uint32_t chunks() const {
    return static_cast<uint32_t>((blocks + chunk_blocks - 1) / chunk_blocks);
  }
  // Blocks in chunk c (the last one may be short).
  uint64_t blocks_in(uint32_t c) const;
};

// The shape for at most `keys` keys.
Shape shape_for(uint64_t keys);
uint64_t block_of(const KeyId& key, uint64_t blocks);
void add(char* block, const KeyId& key);
bool may_contain(const char* block, const KeyId& key);

}  // namespace spillway::queue::dedupe::bloom
