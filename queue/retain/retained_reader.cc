#include "queue/retain/retained_reader.h"

#include <optional>

#include "queue/lmdb_env.h"
#include "queue/lmdb_txn.h"
#include "queue/retain/retained_codec.h"

namespace spillway::queue::retain {

Result<std::vector<RetainedEvent>> RetainedReader::read(uint64_t from_id, uint32_t max) const {
  auto txn = ReadTxn::begin(env_.get());
  if (!txn) return txn.status();
  auto cur = Cursor::open(txn->get(), env_.tables().retained);
  if (!cur) return cur.status();
  std::vector<RetainedEvent> out;
  for (auto more = cur->seek(codec::retained_key(from_id)); out.size() < max; more = cur->next()) {
    if (!more) return more.status();
    if (!*more) break;
    auto id = codec::parse_retained_key(cur->key());
    auto row = codec::parse_retained_value(cur->value());
    if (!id || !row) continue;
    out.push_back(RetainedEvent{*id, row->delivered_ms, row->received_ms, row->account, row->seq,
                                std::string(row->payload)});
  }
  return out;
}

namespace {

// Whether the first row at or after `id` was delivered at or after `ms` (nullopt, also past
// the end), else the id just past that row: every id up to it fails the same way. Monotone in
// `id`, since delivery times never decrease along the keys.
Result<std::optional<uint64_t>> too_early(Cursor& cur, uint64_t id, int64_t ms) {
  auto found = cur.seek(codec::retained_key(id));
  if (!found) return found.status();
  if (!*found) return std::optional<uint64_t>();
  auto key = codec::parse_retained_key(cur.key());
  if (!key) return key.status();
  auto row = codec::parse_retained_value(cur.value());
  // A damaged row qualifies: read() then visits and skips it.
  if (!row || row->delivered_ms >= ms) return std::optional<uint64_t>();
  return std::optional<uint64_t>(*key + 1);
}

}  // namespace

// Bisection over ids, one MDB_SET_RANGE per probe. Rows that expire meanwhile only move the
// answer to a later id, which is where the range starts anyway.
Result<uint64_t> first_delivered_at(MDB_txn* txn, MDB_dbi retained, int64_t delivered_ms) {
  auto cur = Cursor::open(txn, retained);
  if (!cur) return cur.status();
  auto last = cur->last();
  if (!last) return last.status();
  if (!*last) return uint64_t{0};
  auto end = codec::parse_retained_key(cur->key());
  if (!end) return end.status();
  uint64_t lo = 0, hi = *end + 1;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    auto early = too_early(*cur, mid, delivered_ms);
    if (!early) return early.status();
    if (*early) {
      lo = **early;
    } else {
      hi = mid;
    }
  }
  // `lo` may fall in a gap left by expiry: name the row that is really there.
  auto at = cur->seek(codec::retained_key(lo));
  if (!at) return at.status();
  return *at ? codec::parse_retained_key(cur->key()) : Result<uint64_t>(*end + 1);
}

Result<uint64_t> end_of_retained(MDB_txn* txn, MDB_dbi retained) {
  auto cur = Cursor::open(txn, retained);
  if (!cur) return cur.status();
  auto last = cur->last();
  if (!last) return last.status();
  if (!*last) return uint64_t{0};
  auto id = codec::parse_retained_key(cur->key());
  if (!id) return id.status();
  return *id + 1;
}

Result<uint64_t> RetainedReader::first_delivered_at(int64_t delivered_ms) const {
  auto txn = ReadTxn::begin(env_.get());
  if (!txn) return txn.status();
  return retain::first_delivered_at(txn->get(), env_.tables().retained, delivered_ms);
}

}  // namespace spillway::queue::retain
