#pragma once

#include <lmdb.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "common/result.h"
#include "queue/dedupe/index_codec.h"
#include "queue/lmdb_env.h"

namespace spillway::queue::dedupe {

// Looks keys up in sealed runs through LMDB's map: the run's Bloom block, then, on a maybe,
// the one block whose last key is the first >= the key (LMDB's branch pages are the fence
// index). Nothing is copied into anonymous memory but the answer. The Bloom rows fetched are
// remembered for the life of one transaction (a group of hundreds of keys probes the same
// chunks); forget() must be called before that transaction ends, because the bytes die with it.
// Writer thread only.
class RunLookup {
 public:
  explicit RunLookup(const Tables& tables) : tables_(tables) {}
  RunLookup(const RunLookup&) = delete;
  RunLookup& operator=(const RunLookup&) = delete;

  // The run's entry for `id`, or nullopt. kCorruption when the run's rows are missing or
  // damaged (a lookup never guesses: the caller refuses the request).
  Result<std::optional<KeyEntry>> find(MDB_txn* txn, const codec::RunInfo& run, const KeyId& id);
  void forget() { bloom_rows_.clear(); }

 private:
  Result<std::string_view> bloom_chunk(MDB_txn* txn, const codec::RunInfo& run, uint32_t chunk);

  const Tables& tables_;
  std::unordered_map<uint64_t, std::string_view> bloom_rows_;  // run << 24 | chunk
};

// The entry for `id` in a block, by binary search (entries are sorted by KeyId).
std::optional<KeyEntry> find_in_block(const codec::BlockView& block, const KeyId& id);

}  // namespace spillway::queue::dedupe
