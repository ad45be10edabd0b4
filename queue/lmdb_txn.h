#pragma once

#include <lmdb.h>

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/status.h"

namespace spillway::queue {

// Maps an LMDB return code to a Status; `what` names the call for the message.
// MDB_NOTFOUND -> kNotFound, MDB_KEYEXIST -> kAlreadyExists, MDB_MAP_FULL -> kUnavailable
// ("map full"), MDB_CORRUPTED/MDB_PAGE_NOTFOUND/MDB_INVALID/MDB_VERSION_MISMATCH/MDB_PANIC ->
// kCorruption, MDB_READERS_FULL -> kUnavailable, errno values -> kIoError.
Status lmdb_status(int rc, std::string_view what);
// Whether a Status made by lmdb_status came from MDB_MAP_FULL / MDB_PANIC.
bool is_map_full(const Status& s);
bool is_panic(const Status& s);

inline std::string_view as_view(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}
inline MDB_val as_val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};  // LMDB never writes through it
}

// A read-only transaction (MDB_RDONLY). Short-lived: never held across a wait or network I/O.
// Values returned by get() point into the map and die with the transaction: copy them out.
// Not thread-safe; any thread (the environment is MDB_NOTLS).
class ReadTxn {
 public:
  ReadTxn() = default;
  ~ReadTxn();
  ReadTxn(ReadTxn&& other) noexcept : txn_(other.txn_) { other.txn_ = nullptr; }
  ReadTxn& operator=(ReadTxn&&) = delete;
  ReadTxn(const ReadTxn&) = delete;

  // Errors: kUnavailable (MDB_READERS_FULL), kCorruption (MDB_PANIC), kIoError.
  static Result<ReadTxn> begin(MDB_env* env);
  MDB_txn* get() const { return txn_; }
  // nullopt when absent; a non-OK Status for any other failure.
  Result<std::optional<std::string_view>> find(MDB_dbi dbi, std::string_view key) const;

 private:
  explicit ReadTxn(MDB_txn* txn) : txn_(txn) {}
  MDB_txn* txn_ = nullptr;
};

// A write transaction. Only the WalWriter thread creates these (LMDB serialises writers and
// ties a write txn to its OS thread). After any failed put/del the transaction is dead
// (MDB_BAD_TXN): abort it and fail the whole group. The destructor aborts if not committed.
class WriteTxn {
 public:
  ~WriteTxn();
  WriteTxn(WriteTxn&& other) noexcept : txn_(other.txn_) { other.txn_ = nullptr; }
  WriteTxn& operator=(WriteTxn&&) = delete;
  WriteTxn(const WriteTxn&) = delete;

  static Result<WriteTxn> begin(MDB_env* env);
  MDB_txn* get() const { return txn_; }

  Result<std::optional<std::string_view>> find(MDB_dbi dbi, std::string_view key) const;
  // flags: 0 or MDB_NOOVERWRITE (kAlreadyExists when the key is present) or MDB_APPEND.
  Status put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags = 0);
  // kNotFound when absent.
  Status del(MDB_dbi dbi, std::string_view key);
  // mdb_txn_commit; the handle is gone afterwards whatever the result.
  Status commit();
  void abort();

 private:
  explicit WriteTxn(MDB_txn* txn) : txn_(txn) {}
  MDB_txn* txn_ = nullptr;
};

// RAII cursor over one table in a read or write transaction.
class Cursor {
 public:
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  Cursor(Cursor&& other) noexcept : cur_(other.cur_) { other.cur_ = nullptr; }
  Cursor& operator=(Cursor&&) = delete;
  ~Cursor();

  static Result<Cursor> open(MDB_txn* txn, MDB_dbi dbi);
  // Positions at the first key >= `key` (MDB_SET_RANGE) or moves to the next (MDB_NEXT) /
  // first (MDB_FIRST) / last (MDB_LAST) entry. Returns false at the end; a non-OK Status on
  // failure.
  Result<bool> seek(std::string_view key);
  Result<bool> next();
  Result<bool> first();
  Result<bool> last();
  std::string_view key() const { return as_view(key_); }
  std::string_view value() const { return as_view(val_); }
  // Deletes the entry under the cursor (write transactions only).
  Status del();

 private:
  explicit Cursor(MDB_cursor* cur) : cur_(cur) {}
  Result<bool> move(MDB_cursor_op op);
  MDB_cursor* cur_ = nullptr;
  MDB_val key_{};
  MDB_val val_{};
};

}  // namespace spillway::queue
