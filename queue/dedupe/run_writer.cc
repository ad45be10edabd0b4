#include "queue/dedupe/run_writer.h"

#include <algorithm>

#include "common/assert.h"
#include "queue/lmdb_txn.h"

namespace spillway::queue::dedupe {

RunWriter::RunWriter(const Tables& tables, uint64_t run_id, uint8_t level, uint64_t max_keys)
    : tables_(tables), shape_(bloom::shape_for(max_keys)), max_keys_(max_keys) {
  info_.id = run_id;
  info_.level = level;
  info_.bloom_blocks = shape_.blocks;
  info_.chunk_blocks = shape_.chunk_blocks;
  info_.min_seen_ms = INT64_MAX;
  info_.max_seen_ms = INT64_MIN;
  block_.reserve(codec::kBlockEntries);
  chunk_.assign(shape_.blocks_in(0) * bloom::kBlockBytes, '\0');
}

Status RunWriter::add(WriteTxn& txn, const KeyEntry& e) {
  SPW_ASSERT(!any_ || last_ < e.id);
  SPW_ASSERT(info_.count < max_keys_);  // the filter was sized for max_keys
  any_ = true;
  last_ = e.id;
  uint64_t b = bloom::block_of(e.id, shape_.blocks);
  while (b / shape_.chunk_blocks > chunk_index_) {
    if (Status s = flush_chunk(txn); !s.is_ok()) return s;
  }
  uint64_t offset = (b - uint64_t{chunk_index_} * shape_.chunk_blocks) * bloom::kBlockBytes;
  bloom::add(chunk_.data() + offset, e.id);
  block_.push_back(e);
  info_.count += 1;
  info_.min_seen_ms = std::min(info_.min_seen_ms, e.seen_ms);
  info_.max_seen_ms = std::max(info_.max_seen_ms, e.seen_ms);
  if (block_.size() == codec::kBlockEntries) return flush_block(txn);
  return Status::ok();
}

Result<codec::RunInfo> RunWriter::finish(WriteTxn& txn) {
  if (!block_.empty()) {
    if (Status s = flush_block(txn); !s.is_ok()) return s;
  }
  while (chunk_index_ < shape_.chunks()) {
    if (Status s = flush_chunk(txn); !s.is_ok()) return s;
  }
  if (info_.count == 0) info_.min_seen_ms = info_.max_seen_ms = 0;
  return info_;
}

Status RunWriter::flush_block(WriteTxn& txn) {
  std::string value = codec::block_value(block_);
  Status s = txn.put(tables_.dedupe_blocks, codec::block_key(info_.id, block_.back().id), value,
                     MDB_NOOVERWRITE);
  if (!s.is_ok()) return s;
  bytes_written_ += value.size();
  info_.blocks += 1;
  block_.clear();
  return Status::ok();
}

Status RunWriter::flush_chunk(WriteTxn& txn) {
  std::string value = codec::bloom_value(chunk_);
  Status s = txn.put(tables_.dedupe_bloom, codec::bloom_key(info_.id, chunk_index_), value,
                     MDB_NOOVERWRITE);
  if (!s.is_ok()) return s;
  bytes_written_ += value.size();
  chunk_index_ += 1;
  if (chunk_index_ < shape_.chunks()) {
    chunk_.assign(shape_.blocks_in(chunk_index_) * bloom::kBlockBytes, '\0');
  }
  return Status::ok();
}

}  // namespace spillway::queue::dedupe
