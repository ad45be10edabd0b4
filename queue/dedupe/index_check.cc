#include "queue/dedupe/index_check.h"

#include <optional>
#include <set>
#include <vector>

#include "queue/dedupe/bloom.h"
#include "queue/dedupe/index_codec.h"
#include "queue/lmdb_txn.h"

namespace spillway::queue::dedupe {
namespace {

using Problem = std::function<void(std::string)>;

// One run, walked block by block, with its filter checked chunk by chunk (keys rise with it).
class RunCheck {
 public:
  RunCheck(MDB_txn* txn, const Tables& t, const codec::RunInfo& run, const Problem& problem)
      : txn_(txn), t_(t), run_(run), problem_(problem) {}

  Status run(const std::function<bool(uint32_t)>& account_exists) {
    if (Status s = check_chunks(); !s.is_ok()) return s;
    auto cur = Cursor::open(txn_, t_.dedupe_blocks);
    if (!cur) return cur.status();
    for (auto more = cur->seek(codec::run_key(run_.id));; more = cur->next()) {
      if (!more) return more.status();
      if (!*more) break;
      auto key = codec::parse_block_key(cur->key());
      if (!key) return bad("a block key is damaged"), Status::ok();
      if (key->run != run_.id) break;
      blocks_ += 1;
      auto block = codec::parse_block_value(cur->value());
      if (!block) {
        bad("block " + std::to_string(blocks_) + ": " + block.status().message());
        continue;
      }
      for (size_t i = 0; i < block->count; ++i) check_entry(block->at(i), account_exists);
      if (!(block->at(block->count - 1).id == key->last)) bad("a block's key is not its last key");
    }
    if (blocks_ != run_.blocks)
      bad("has " + std::to_string(blocks_) + " blocks, record says " + std::to_string(run_.blocks));
    if (keys_ != run_.count)
      bad("has " + std::to_string(keys_) + " keys, record says " + std::to_string(run_.count));
    return Status::ok();
  }

  uint64_t keys() const { return keys_; }

 private:
  void bad(const std::string& what) {
    problem_("dedupe run " + std::to_string(run_.id) + " " + what);
  }

  Status check_chunks() {
    bloom::Shape shape{run_.bloom_blocks, run_.chunk_blocks};
    if (shape.chunk_blocks == 0 || shape.blocks == 0)
      return bad("has an empty Bloom shape"), Status::ok();
    for (uint32_t c = 0; c < shape.chunks(); ++c) {
      std::string key = codec::bloom_key(run_.id, c);
      MDB_val k = as_val(key), v{};
      int rc = mdb_get(txn_, t_.dedupe_bloom, &k, &v);
      if (rc == MDB_NOTFOUND) {
        bad("Bloom chunk " + std::to_string(c) + " is missing");
        continue;
      }
      if (rc != MDB_SUCCESS) return lmdb_status(rc, "mdb_get(dedupe_bloom)");
      Status s = codec::check_bloom_crc(as_view(v));
      if (s.is_ok() && as_view(v).size() != 4 + shape.blocks_in(c) * bloom::kBlockBytes) {
        s = Status::corruption("wrong size");
      }
      if (!s.is_ok()) bad("Bloom chunk " + std::to_string(c) + ": " + s.message());
    }
    return Status::ok();
  }

  void check_entry(const KeyEntry& e, const std::function<bool(uint32_t)>& account_exists) {
    if (last_ && !(*last_ < e.id)) bad("keys are out of order");
    last_ = e.id;
    keys_ += 1;
    if (e.seen_ms < run_.min_seen_ms || e.seen_ms > run_.max_seen_ms) {
      bad("a key's time is outside the run's range");
    }
    if (!account_exists(e.id.account().value)) bad("holds a key of an unknown account");
    if (!in_bloom(e.id)) bad("Bloom filter lacks a key it holds");
  }

  bool in_bloom(const KeyId& id) {
    uint64_t b = bloom::block_of(id, run_.bloom_blocks);
    MDB_val v{};
    std::string key = codec::bloom_key(run_.id, static_cast<uint32_t>(b / run_.chunk_blocks));
    MDB_val k = as_val(key);
    if (mdb_get(txn_, t_.dedupe_bloom, &k, &v) != MDB_SUCCESS) return false;
    auto bits = codec::bloom_bits(as_view(v));
    uint64_t offset = (b % run_.chunk_blocks) * bloom::kBlockBytes;
    return bits && bits->size() >= offset + bloom::kBlockBytes &&
           bloom::may_contain(bits->data() + offset, id);
  }

  MDB_txn* txn_;
  const Tables& t_;
  const codec::RunInfo& run_;
  const Problem& problem_;
  uint64_t blocks_ = 0;
  uint64_t keys_ = 0;
  std::optional<KeyId> last_;
};

template <typename Visit>
Status walk(MDB_txn* txn, MDB_dbi dbi, Visit visit) {
  auto cur = Cursor::open(txn, dbi);
  if (!cur) return cur.status();
  for (auto more = cur->first();; more = cur->next()) {
    if (!more) return more.status();
    if (!*more) return Status::ok();
    visit(cur->key(), cur->value());
  }
}

}  // namespace

Status check_index(MDB_txn* txn, const Tables& t,
                   const std::function<bool(uint32_t)>& account_exists, const Problem& problem,
                   IndexCheckCounts& counts) {
  if (t.dedupe_log == 0) return Status::ok();  // a version-1 store, read-only: not upgraded yet
  Status s = walk(txn, t.dedupe_log, [&](std::string_view k, std::string_view v) {
    auto e = codec::parse_log_value(v);
    if (!codec::parse_log_key(k) || !e) return problem("dedupe key-log row is damaged");
    if (!account_exists(e->id.account().value)) problem("dedupe key-log row of unknown account");
    counts.log_rows += 1;
  });
  std::vector<codec::RunInfo> runs;
  if (s.is_ok()) {
    s = walk(txn, t.dedupe_runs, [&](std::string_view k, std::string_view v) {
      auto r = codec::parse_run(k, v);
      if (!r) return problem(r.status().message());
      runs.push_back(*r);
    });
  }
  std::set<uint64_t> live;
  for (const codec::RunInfo& r : runs) {
    if (!s.is_ok()) return s;
    RunCheck check(txn, t, r, problem);
    s = check.run(account_exists);
    live.insert(r.id);
    counts.runs += 1;
    counts.run_keys += check.keys();
  }
  for (MDB_dbi dbi : {t.dedupe_blocks, t.dedupe_bloom}) {
    if (!s.is_ok()) return s;
    s = walk(txn, dbi, [&](std::string_view k, std::string_view) {
      if (k.size() < 8 || !live.contains(*codec::parse_u64(k.substr(0, 8))))
        counts.garbage_rows += 1;
    });
  }
  return s;
}

}  // namespace spillway::queue::dedupe
