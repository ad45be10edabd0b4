#include "queue/dedupe/legacy_upgrade.h"

#include <algorithm>
#include <vector>

#include "queue/dedupe/entry_source.h"
#include "queue/dedupe/run_writer.h"
#include "queue/lmdb_env.h"
#include "queue/lmdb_txn.h"
#include "queue/record_codec.h"

namespace spillway::queue::dedupe {
namespace {

constexpr size_t kChunkKeys = 131072;

Result<uint64_t> next_run_id(MDB_txn* txn, const Tables& t) {
  uint64_t next = 1;
  for (MDB_dbi dbi : {t.dedupe_runs, t.dedupe_blocks, t.dedupe_bloom}) {
    auto cur = Cursor::open(txn, dbi);
    if (!cur) return cur.status();
    auto more = cur->last();
    if (!more) return more.status();
    if (*more && cur->key().size() >= 8) {
      next = std::max(next, *codec::parse_u64(cur->key().substr(0, 8)) + 1);
    }
  }
  return next;
}

// Reads and deletes up to kChunkKeys version-1 rows; keys whose window ended are dropped.
Result<std::vector<KeyEntry>> take_chunk(WriteTxn& txn, MDB_dbi legacy, int64_t window_ms,
                                         int64_t now_ms) {
  std::vector<KeyEntry> out;
  auto cur = Cursor::open(txn.get(), legacy);
  if (!cur) return cur.status();
  for (size_t n = 0; n < kChunkKeys; ++n) {
    auto more = cur->first();
    if (!more) return more.status();
    if (!*more) break;
    std::string_view k = cur->key();
    auto v = queue::codec::parse_dedupe_value(cur->value());
    if (k.size() != 20 || !v) return Status::corruption("version-1 dedupe entry is damaged");
    if (v->expiry_ms > now_ms) {
      std::array<uint8_t, 16> hash{};
      std::memcpy(hash.data(), k.data() + 4, hash.size());
      AccountId account{*queue::codec::parse_u32(k.substr(0, 4))};
      out.push_back(KeyEntry{make_key_id(hash, account), v->seq, v->expiry_ms - window_ms});
    }
    if (Status s = cur->del(); !s.is_ok()) return s;
  }
  return out;
}

// One chunk: false when the version-1 table is empty.
Result<bool> move_chunk(LmdbEnv& env, int64_t window_ms, int64_t now_ms) {
  const Tables& t = env.tables();
  auto txn = WriteTxn::begin(env.get());
  if (!txn) return txn.status();
  auto entries = take_chunk(*txn, t.legacy_dedupe, window_ms, now_ms);
  if (!entries) return entries.status();
  MDB_stat st{};
  mdb_stat(txn->get(), t.legacy_dedupe, &st);
  bool more = st.ms_entries > 0;
  if (!entries->empty()) {
    sort_entries(*entries);
    auto id = next_run_id(txn->get(), t);
    if (!id) return id.status();
    RunWriter writer(t, *id, 0, entries->size());
    for (const KeyEntry& e : *entries) {
      if (Status s = writer.add(*txn, e); !s.is_ok()) return s;
    }
    auto info = writer.finish(*txn);
    if (!info) return info.status();
    Status s = txn->put(t.dedupe_runs, codec::run_key(info->id), codec::run_value(*info));
    if (!s.is_ok()) return s;
  }
  if (Status s = txn->commit(); !s.is_ok()) return s;
  return more;
}

}  // namespace

Status upgrade_from_v1(LmdbEnv& env, int64_t window_ms, int64_t now_ms, Logger& log) {
  const Tables& t = env.tables();
  uint64_t chunks = 0;
  if (t.legacy_dedupe != 0) {
    for (;;) {
      auto more = move_chunk(env, window_ms, now_ms);
      if (!more) return more.status();
      chunks += 1;
      if (!*more) break;
    }
  }
  auto txn = WriteTxn::begin(env.get());
  if (!txn) return txn.status();
  for (MDB_dbi dbi : {t.legacy_dedupe, t.legacy_dedupe_expiry}) {
    if (dbi == 0) continue;
    if (int rc = mdb_drop(txn->get(), dbi, 1); rc != MDB_SUCCESS) {
      return lmdb_status(rc, "mdb_drop(version-1 dedupe)");
    }
  }
  Status s = txn->put(t.meta, queue::codec::kMetaFormatVersion,
                      queue::codec::u32_value(queue::codec::kFormatVersion));
  if (s.is_ok()) s = txn->commit();
  if (s.is_ok()) {
    log.info("queue", "upgraded store to format " + std::to_string(queue::codec::kFormatVersion),
             {{"chunks", chunks}});
  }
  return s;
}

}  // namespace spillway::queue::dedupe
