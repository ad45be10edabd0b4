#pragma once

#include <cstdint>
#include <string_view>

#include "queue/dedupe/key_entry.h"

// A blocked Bloom filter: every key sets kBits bits inside one 64-byte block (one cache line,
// one page touched per probe). The block is chosen from the key's top hash bits by
// multiply-shift, which is monotonic in the run's sort order, so a run written in key order
// fills its filter front to back and never holds more than one chunk of it in memory.
// 16 bits per key gives about 0.1% false positives (10 gave ~1%: on a 100M-key store, whose
// blocks do not all fit the page cache, every false positive is a block read, often from disk;
// with 10 runs probed per key that was one key in ten). The filter's size is stored in each run,
// so runs written with 10 bits stay readable. Pure functions; any thread.
namespace spillway::queue::dedupe::bloom {

inline constexpr size_t kBlockBytes = 64;
inline constexpr unsigned kBits = 7;
inline constexpr uint64_t kBitsPerKey = 16;
// Upper bound of one `dedupe_bloom` row: 63 blocks, so that with its CRC a chunk is one LMDB
// overflow page. A value of many pages needs that many contiguous free pages, and in a store
// whose free list is fragmented (events come and go) LMDB then loads the whole free list into
// the transaction and writes it back at every commit: with 1 MiB chunks a store of 20M keys
// served 0.55x of a fresh one. A lookup fetches one row per run and chunk (cached for the
// group); a merge holds one chunk in memory.
inline constexpr uint64_t kMaxChunkBytes = 63 * kBlockBytes;

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
