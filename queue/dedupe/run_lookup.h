#pragma once

#include <lmdb.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "queue/dedupe/index_codec.h"
#include "queue/lmdb_env.h"

namespace spillway::queue::dedupe {

// Looks keys up in sealed runs through LMDB's map: the run's Bloom block, then, on a maybe,
// the one block whose last key is the first >= the key (LMDB's branch pages are the fence
// index). Nothing is copied into anonymous memory but the answer. The Bloom rows fetched are
// remembered for the life of one transaction (a group of hundreds of keys probes the same
// chunks of a small run); forget() must be called before that transaction ends, because the
// bytes die with it. Writer thread only.
class RunLookup {
 public:
  explicit RunLookup(const Tables& tables) : tables_(tables) {}
  RunLookup(const RunLookup&) = delete;
  RunLookup& operator=(const RunLookup&) = delete;

  // The run's entry for each key, or nullopt: found[i] answers ids[i]. kCorruption when the
  // run's rows are missing or damaged (a lookup never guesses: the caller refuses the request).
  // Every key's Bloom block is located and
  // prefetched before any is tested, so that the cache misses of a batch (one per key and run,
  // in a filter much larger than the CPU's caches) overlap instead of following one another.
  Status find_many(MDB_txn* txn, const codec::RunInfo& run, std::span<const KeyId* const> ids,
                   std::vector<std::optional<KeyEntry>>& found);
  void forget() { bloom_rows_.clear(); }

 private:
  Result<std::string_view> bloom_chunk(MDB_txn* txn, const codec::RunInfo& run, uint32_t chunk);
  Result<const char*> bloom_block(MDB_txn* txn, const codec::RunInfo& run, const KeyId& id);
  // After a Bloom "maybe": the one block that would hold `id`.
  Result<std::optional<KeyEntry>> find_in_run(MDB_txn* txn, const codec::RunInfo& run,
                                              const KeyId& id);

  const Tables& tables_;
  std::unordered_map<uint64_t, std::string_view> bloom_rows_;  // run << 24 | chunk
  std::vector<const char*> blocks_;                            // find_many's scratch
};

// The entry for `id` in a block, by binary search (entries are sorted by KeyId).
std::optional<KeyEntry> find_in_block(const codec::BlockView& block, const KeyId& id);

}  // namespace spillway::queue::dedupe
