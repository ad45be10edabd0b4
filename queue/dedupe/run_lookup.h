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
// index). Nothing is copied into anonymous memory but the answer.
//
// Bloom chunks are addressed directly once found: a chunk larger than half a page lives in an
// LMDB overflow page of its own, which stays at one address in the map for as long as its row
// exists (rows of a run are never rewritten, only deleted after the run is retired, and the
// map is never resized while open). So its address is kept per run (`pinned_`) and a probe is
// one memory access, with no B-tree descent. A smaller chunk (the tail of a run, or a small
// run) sits inside a leaf page, which moves whenever a neighbour row is written: it is kept
// only for one transaction (`txn_rows_`), and forget() must be called before that transaction
// ends. drop_run() must be called when a run is retired, before its rows can be deleted.
// Writer thread only.
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
  void forget() { txn_rows_.clear(); }
  // The run left the live set: its pages may be reused once its rows are deleted.
  void drop_run(uint64_t run_id);

  // Bloom rows read from LMDB (a descent each) and chunks addressed directly: for tests and
  // the stats.
  uint64_t fetches() const { return fetches_; }
  uint64_t pinned_chunks() const { return pinned_count_; }

 private:
  Result<std::string_view> bloom_chunk(MDB_txn* txn, const codec::RunInfo& run,
                                       std::vector<const char*>& pinned, uint32_t chunk);
  Result<const char*> bloom_block(MDB_txn* txn, const codec::RunInfo& run,
                                  std::vector<const char*>& pinned, const KeyId& id);
  // Whether the bytes of a row lie in an overflow page of the map (and so never move).
  bool in_own_page(MDB_txn* txn, const MDB_val& v);
  // After a Bloom "maybe": the one block that would hold `id`.
  Result<std::optional<KeyEntry>> find_in_run(MDB_txn* txn, const codec::RunInfo& run,
                                              const KeyId& id);

  const Tables& tables_;
  // run id -> each chunk's bits in the map (nullptr: not looked up yet). 8 bytes per 4 KiB of
  // filter: ~2 MiB at a billion keys.
  std::unordered_map<uint64_t, std::vector<const char*>> pinned_;
  std::unordered_map<uint64_t, std::string_view> txn_rows_;  // run << 24 | chunk
  std::vector<const char*> blocks_;                          // find_many's scratch
  size_t page_size_ = 0;                                     // once known
  uint64_t fetches_ = 0;
  uint64_t pinned_count_ = 0;
};

// The entry for `id` in a block, by binary search (entries are sorted by KeyId).
std::optional<KeyEntry> find_in_block(const codec::BlockView& block, const KeyId& id);

}  // namespace spillway::queue::dedupe
