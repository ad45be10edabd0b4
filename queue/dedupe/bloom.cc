#include "queue/dedupe/bloom.h"

#include <algorithm>

namespace spillway::queue::dedupe::bloom {

uint64_t Shape::blocks_in(uint32_t c) const {
  uint64_t first = uint64_t{c} * chunk_blocks;
  return std::min<uint64_t>(chunk_blocks, blocks - first);
}

Shape shape_for(uint64_t keys) {
  Shape s;
  s.blocks = std::max<uint64_t>(1, (keys * kBitsPerKey + 511) / 512);
  s.chunk_blocks =
      static_cast<uint32_t>(std::min<uint64_t>(s.blocks, kMaxChunkBytes / kBlockBytes));
  return s;
}

__extension__ using Uint128 = unsigned __int128;

uint64_t block_of(const KeyId& key, uint64_t blocks) {
  return static_cast<uint64_t>((static_cast<Uint128>(key.hash_high()) * blocks) >> 64);
}

namespace {
// Bit i of the block takes 9 bits of the low hash each (7 x 9 = 63 bits).
unsigned bit_at(uint64_t h, unsigned i) { return static_cast<unsigned>((h >> (9 * i)) & 511); }
}  // namespace

void add(char* block, const KeyId& key) {
  uint64_t h = key.hash_low();
  for (unsigned i = 0; i < kBits; ++i) {
    unsigned b = bit_at(h, i);
    block[b / 8] = static_cast<char>(block[b / 8] | (1 << (b % 8)));
  }
}

bool may_contain(const char* block, const KeyId& key) {
  uint64_t h = key.hash_low();
  for (unsigned i = 0; i < kBits; ++i) {
    unsigned b = bit_at(h, i);
    if ((block[b / 8] & (1 << (b % 8))) == 0) return false;
  }
  return true;
}

}  // namespace spillway::queue::dedupe::bloom
