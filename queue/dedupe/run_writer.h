#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "queue/dedupe/bloom.h"
#include "queue/dedupe/index_codec.h"
#include "queue/lmdb_env.h"

namespace spillway::queue {
class WriteTxn;
}

namespace spillway::queue::dedupe {

// Writes one immutable sorted run: blocks of entries (`dedupe_blocks`) and its Bloom filter
// (`dedupe_bloom`), chunk by chunk as the keys pass it. Each block and chunk is its own overflow
// page run, written once; a seal and a merge may interleave, so rows are put in key order but
// not with MDB_APPEND (the leaves, ~1% of the bytes, then split in halves). Memory is one block and
// one Bloom chunk whatever the run's size. The writes may span any number of write transactions; if
// one of them aborts, the run is abandoned (its rows are garbage for the collector) and built again
// from the start. Writer thread only.
class RunWriter {
 public:
  // `max_keys` sizes the Bloom filter: at least the number of keys that will be added.
  RunWriter(const Tables& tables, uint64_t run_id, uint8_t level, uint64_t max_keys);
  RunWriter(const RunWriter&) = delete;
  RunWriter& operator=(const RunWriter&) = delete;

  // Keys must come in strictly increasing KeyId order (asserted: a merge bug, not input).
  Status add(WriteTxn& txn, const KeyEntry& e);
  // Writes the last block and the rest of the filter. The run record is the caller's to write
  // (it is what makes the run live, in the transaction that retires what the run replaces).
  Result<codec::RunInfo> finish(WriteTxn& txn);
  // Bytes handed to LMDB so far: the caller's budget per transaction.
  uint64_t bytes_written() const { return bytes_written_; }
  uint64_t run_id() const { return info_.id; }

 private:
  Status flush_block(WriteTxn& txn);
  Status flush_chunk(WriteTxn& txn);

  const Tables& tables_;
  codec::RunInfo info_;
  bloom::Shape shape_;
  uint64_t max_keys_;
  std::vector<KeyEntry> block_;
  std::string chunk_;  // bits of chunk `chunk_index_`
  uint32_t chunk_index_ = 0;
  uint64_t bytes_written_ = 0;
  bool any_ = false;
  KeyId last_;
};

}  // namespace spillway::queue::dedupe
