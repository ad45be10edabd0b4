#include "queue/lmdb_txn.h"

#include <cstring>
#include <string>

namespace spillway::queue {

Status lmdb_status(int rc, std::string_view what) {
  if (rc == MDB_SUCCESS) return Status::ok();
  std::string msg(what);
  msg += ": ";
  msg += mdb_strerror(rc);
  switch (rc) {
    case MDB_NOTFOUND:
      return Status::not_found(std::move(msg));
    case MDB_KEYEXIST:
      return Status::already_exists(std::move(msg));
    case MDB_MAP_FULL:
    case MDB_READERS_FULL:
    case MDB_TXN_FULL:
      return Status::unavailable(std::move(msg));
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
    case MDB_PANIC:
    case MDB_BAD_TXN:
      return Status::corruption(std::move(msg));
    default:
      return Status::io_error(std::move(msg));
  }
}

bool is_map_full(const Status& s) { return s.message().find("MDB_MAP_FULL") != std::string::npos; }
bool is_panic(const Status& s) { return s.message().find("MDB_PANIC") != std::string::npos; }

ReadTxn::~ReadTxn() {
  if (txn_ != nullptr) mdb_txn_abort(txn_);
}

Result<ReadTxn> ReadTxn::begin(MDB_env* env) {
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn);
  if (rc != MDB_SUCCESS) return lmdb_status(rc, "mdb_txn_begin(read)");
  return ReadTxn(txn);
}

namespace {
Result<std::optional<std::string_view>> find_in(MDB_txn* txn, MDB_dbi dbi, std::string_view key) {
  MDB_val k = as_val(key);
  MDB_val v{};
  int rc = mdb_get(txn, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string_view>();
  if (rc != MDB_SUCCESS) return lmdb_status(rc, "mdb_get");
  return std::optional<std::string_view>(as_view(v));
}
}  // namespace

Result<std::optional<std::string_view>> ReadTxn::find(MDB_dbi dbi, std::string_view key) const {
  return find_in(txn_, dbi, key);
}

WriteTxn::~WriteTxn() { abort(); }

Result<WriteTxn> WriteTxn::begin(MDB_env* env) {
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env, nullptr, 0, &txn);
  if (rc != MDB_SUCCESS) return lmdb_status(rc, "mdb_txn_begin(write)");
  return WriteTxn(txn);
}

Result<std::optional<std::string_view>> WriteTxn::find(MDB_dbi dbi, std::string_view key) const {
  return find_in(txn_, dbi, key);
}

Status WriteTxn::put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags) {
  MDB_val k = as_val(key);
  MDB_val v = as_val(value);
  return lmdb_status(mdb_put(txn_, dbi, &k, &v, flags), "mdb_put");
}

Status WriteTxn::del(MDB_dbi dbi, std::string_view key) {
  MDB_val k = as_val(key);
  return lmdb_status(mdb_del(txn_, dbi, &k, nullptr), "mdb_del");
}

Status WriteTxn::commit() {
  SPW_ASSERT(txn_ != nullptr);
  MDB_txn* txn = txn_;
  txn_ = nullptr;  // mdb_txn_commit frees the handle whatever it returns
  return lmdb_status(mdb_txn_commit(txn), "mdb_txn_commit");
}

void WriteTxn::abort() {
  if (txn_ != nullptr) mdb_txn_abort(txn_);
  txn_ = nullptr;
}

Cursor::~Cursor() {
  if (cur_ != nullptr) mdb_cursor_close(cur_);
}

Result<Cursor> Cursor::open(MDB_txn* txn, MDB_dbi dbi) {
  MDB_cursor* cur = nullptr;
  int rc = mdb_cursor_open(txn, dbi, &cur);
  if (rc != MDB_SUCCESS) return lmdb_status(rc, "mdb_cursor_open");
  return Cursor(cur);
}

Result<bool> Cursor::move(MDB_cursor_op op) {
  int rc = mdb_cursor_get(cur_, &key_, &val_, op);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != MDB_SUCCESS) return lmdb_status(rc, "mdb_cursor_get");
  return true;
}

Result<bool> Cursor::seek(std::string_view key) {
  key_ = as_val(key);
  return move(MDB_SET_RANGE);
}
Result<bool> Cursor::next() { return move(MDB_NEXT); }
Result<bool> Cursor::first() { return move(MDB_FIRST); }

Result<bool> Cursor::last() { return move(MDB_LAST); }

Status Cursor::del() { return lmdb_status(mdb_cursor_del(cur_, 0), "mdb_cursor_del"); }

}  // namespace spillway::queue
