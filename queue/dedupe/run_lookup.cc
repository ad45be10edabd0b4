#include "queue/dedupe/run_lookup.h"

#include <algorithm>

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

void RunLookup::drop_run(uint64_t run_id) {
  auto it = pinned_.find(run_id);
  if (it == pinned_.end()) return;
  pinned_count_ -= static_cast<uint64_t>(
      std::count_if(it->second.begin(), it->second.end(), [](const char* c) { return c; }));
  pinned_.erase(it);
}

bool RunLookup::in_own_page(MDB_txn* txn, const MDB_val& v) {
  if (page_size_ == 0) {
    MDB_stat stat{};
    if (mdb_env_stat(mdb_txn_env(txn), &stat) != MDB_SUCCESS) return false;
    page_size_ = stat.ms_psize;
  }
  // A leaf node holds at most about half a page, so anything larger went to overflow pages,
  // whose data starts right after the page header (16 bytes: LMDB's file format on 64-bit).
  // The address check is a second opinion: the map is page-aligned, and a row in a dirty copy
  // of a page would not be (none is expected: nothing rewrites a live run's rows).
  constexpr uintptr_t kPageHeader = 16;
  const auto at = reinterpret_cast<uintptr_t>(v.mv_data);
  return v.mv_size > page_size_ / 2 && at % page_size_ == kPageHeader;
}

Result<std::string_view> RunLookup::bloom_chunk(MDB_txn* txn, const codec::RunInfo& run,
                                                std::vector<const char*>& pinned, uint32_t chunk) {
  // A run has at most ~1,200 chunks (a billion keys); run ids stay far below 2^40.
  const uint64_t slot = (run.id << 24) | chunk;
  auto it = txn_rows_.find(slot);
  if (it != txn_rows_.end()) return it->second;
  std::string key = codec::bloom_key(run.id, chunk);
  MDB_val k = as_val(key), v{};
  int rc = mdb_get(txn, tables_.dedupe_bloom, &k, &v);
  if (rc == MDB_NOTFOUND) return damaged(run, "Bloom chunk " + std::to_string(chunk) + " missing");
  if (rc != MDB_SUCCESS) return lmdb_status(rc, "mdb_get(dedupe_bloom)");
  fetches_ += 1;
  auto bits = codec::bloom_bits(as_view(v));
  if (!bits) return damaged(run, bits.status().message());
  const bloom::Shape shape{run.bloom_blocks, run.chunk_blocks};
  if (chunk >= shape.chunks() || bits->size() != shape.blocks_in(chunk) * bloom::kBlockBytes) {
    return damaged(run, "Bloom chunk " + std::to_string(chunk) + " has the wrong size");
  }
  if (in_own_page(txn, v)) {
    if (pinned.empty()) pinned.assign(shape.chunks(), nullptr);
    pinned[chunk] = bits->data();
    pinned_count_ += 1;
  } else {
    txn_rows_.emplace(slot, *bits);
  }
  return *bits;
}

Result<const char*> RunLookup::bloom_block(MDB_txn* txn, const codec::RunInfo& run,
                                           std::vector<const char*>& pinned, const KeyId& id) {
  if (run.chunk_blocks == 0 || run.bloom_blocks == 0) return damaged(run, "Bloom shape is empty");
  const uint64_t b = bloom::block_of(id, run.bloom_blocks);
  const auto chunk = static_cast<uint32_t>(b / run.chunk_blocks);
  const uint64_t offset = (b % run.chunk_blocks) * bloom::kBlockBytes;
  if (chunk < pinned.size() && pinned[chunk] != nullptr) return pinned[chunk] + offset;
  auto bits = bloom_chunk(txn, run, pinned, chunk);
  if (!bits) return bits.status();
  return bits->data() + offset;
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
  std::vector<const char*>& pinned = pinned_[run.id];
  for (const KeyId* id : ids) {
    auto block = bloom_block(txn, run, pinned, *id);
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
