#include "queue/dedupe/run_lookup.h"

#include "queue/dedupe/bloom.h"
#include "queue/lmdb_txn.h"

namespace spillway::queue::dedupe {
namespace {

Status damaged(const codec::RunInfo& run, std::string what) {
  return Status::corruption("dedupe run " + std::to_string(run.id) + ": " + std::move(what));
}

}  // namespace

std::optional<KeyEntry> find_in_block(const codec::BlockView& block, const KeyId& id) {
  size_t lo = 0, hi = block.count;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    KeyEntry e = block.at(mid);
    if (e.id == id) return e;
    if (e.id < id) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return std::nullopt;
}

Result<std::string_view> RunLookup::bloom_chunk(MDB_txn* txn, const codec::RunInfo& run,
                                                uint32_t chunk) {
  // A run has at most ~1,200 chunks (a billion keys); run ids stay far below 2^40.
  const uint64_t slot = (run.id << 24) | chunk;
  auto it = bloom_rows_.find(slot);
  if (it != bloom_rows_.end()) return it->second;
  std::string key = codec::bloom_key(run.id, chunk);
  MDB_val k = as_val(key), v{};
  int rc = mdb_get(txn, tables_.dedupe_bloom, &k, &v);
  if (rc == MDB_NOTFOUND) return damaged(run, "Bloom chunk " + std::to_string(chunk) + " missing");
  if (rc != MDB_SUCCESS) return lmdb_status(rc, "mdb_get(dedupe_bloom)");
  auto bits = codec::bloom_bits(as_view(v));
  if (!bits) return damaged(run, bits.status().message());
  bloom_rows_.emplace(slot, *bits);
  return *bits;
}

Result<const char*> RunLookup::bloom_block(MDB_txn* txn, const codec::RunInfo& run,
                                           const KeyId& id) {
  uint64_t b = bloom::block_of(id, run.bloom_blocks);
  auto chunk = bloom_chunk(txn, run, static_cast<uint32_t>(b / run.chunk_blocks));
  if (!chunk) return chunk.status();
  uint64_t offset = (b % run.chunk_blocks) * bloom::kBlockBytes;
  if (chunk->size() < offset + bloom::kBlockBytes) return damaged(run, "Bloom chunk too short");
  return chunk->data() + offset;
}

Result<std::optional<KeyEntry>> RunLookup::find_in_run(MDB_txn* txn, const codec::RunInfo& run,
                                                       const KeyId& id) {
  auto cur = Cursor::open(txn, tables_.dedupe_blocks);
  if (!cur) return cur.status();
  auto found = cur->seek(codec::block_key(run.id, id));
  if (!found) return found.status();
  if (!*found) return std::optional<KeyEntry>();
  auto key = codec::parse_block_key(cur->key());
  if (!key) return damaged(run, key.status().message());
  if (key->run != run.id) return std::optional<KeyEntry>();
  auto block = codec::parse_block_value(cur->value());
  if (!block) return damaged(run, block.status().message());
  return find_in_block(*block, id);
}

Status RunLookup::find_many(MDB_txn* txn, const codec::RunInfo& run,
                            std::span<const KeyId* const> ids,
                            std::vector<std::optional<KeyEntry>>& found) {
  found.assign(ids.size(), std::nullopt);
  blocks_.clear();
  for (const KeyId* id : ids) {
    auto block = bloom_block(txn, run, *id);
    if (!block) return block.status();
    // A block starts anywhere in its chunk's page, so it may straddle two cache lines.
    __builtin_prefetch(*block);
    __builtin_prefetch(*block + bloom::kBlockBytes - 1);
    blocks_.push_back(*block);
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!bloom::may_contain(blocks_[i], *ids[i])) continue;
    auto e = find_in_run(txn, run, *ids[i]);
    if (!e) return e.status();
    found[i] = *e;
  }
  return Status::ok();
}

}  // namespace spillway::queue::dedupe
