#include "queue/retain/retained_check.h"

#include "queue/lmdb_txn.h"
#include "queue/retain/retained_codec.h"

namespace spillway::queue::retain {
namespace {

Result<codec::RetainedTotals> read_totals(MDB_txn* txn, const Tables& tables) {
  MDB_val key = as_val(codec::kMetaRetained);
  MDB_val val{};
  int rc = mdb_get(txn, tables.meta, &key, &val);
  if (rc == MDB_NOTFOUND) return codec::RetainedTotals{};
  if (rc != MDB_SUCCESS) return lmdb_status(rc, "mdb_get meta retained");
  return codec::parse_totals(as_view(val));
}

}  // namespace

Status check_retained(MDB_txn* txn, const Tables& tables,
                      const std::function<bool(uint32_t)>& account_exists,
                      const std::function<void(std::string)>& problem,
                      RetainedCheckCounts& counts) {
  if (tables.retained == 0) return Status::ok();  // read-only open of an older store
  auto totals = read_totals(txn, tables);
  if (!totals) {
    problem("retained totals: " + totals.status().message());
    return Status::ok();
  }
  auto cur = Cursor::open(txn, tables.retained);
  if (!cur) return cur.status();
  int64_t last_delivered = 0;
  for (auto more = cur->first();; more = cur->next()) {
    if (!more) return more.status();
    if (!*more) break;
    auto id = codec::parse_retained_key(cur->key());
    auto row = codec::parse_retained_value(cur->value());
    std::string where = "retained row " + std::to_string(id ? *id : 0) + ": ";
    if (!id || !row) {
      problem(where + (id ? row.status().message() : id.status().message()));
      continue;
    }
    if (*id >= totals->next_id) problem(where + "at or above the next id");
    if (row->delivered_ms < last_delivered) problem(where + "delivered before the row ahead");
    if (!account_exists(row->account.value)) problem(where + "of an unknown account");
    last_delivered = row->delivered_ms;
    counts.events += 1;
    counts.bytes += row->payload.size();
  }
  if (counts.events != totals->events || counts.bytes != totals->bytes) {
    problem("retained totals " + std::to_string(totals->events) + " events / " +
            std::to_string(totals->bytes) + " bytes != scan " + std::to_string(counts.events) +
            " / " + std::to_string(counts.bytes));
  }
  return Status::ok();
}

}  // namespace spillway::queue::retain
