#include "queue/reader_watchdog.h"

#include <lmdb.h>

#include <cinttypes>
#include <cstdio>

namespace spillway::queue {
namespace {

struct Oldest {
  int pid = 0;
  uint64_t thread = 0;
  uint64_t txnid = UINT64_MAX;
};

// mdb_reader_list calls this once for the header and once per slot:
// "%10d %zx %-20" Z "u\n" (pid, thread, txnid), txnid "-" for an idle slot.
int collect(const char* line, void* ctx) {
  auto* oldest = static_cast<Oldest*>(ctx);
  int pid = 0;
  uint64_t thread = 0;
  uint64_t txnid = 0;
  if (std::sscanf(line, "%d %" SCNx64 " %" SCNu64, &pid, &thread, &txnid) == 3 &&
      txnid < oldest->txnid) {
    *oldest = {pid, thread, txnid};
  }
  return 0;
}

}  // namespace

ReaderLag ReaderWatchdog::check(MDB_env* env, std::chrono::steady_clock::time_point now) {
  Oldest oldest;
  MDB_envinfo info{};
  if (mdb_reader_list(env, collect, &oldest) < 0 || mdb_env_info(env, &info) != MDB_SUCCESS ||
      oldest.txnid == UINT64_MAX) {
    pid_ = 0;
    return {};
  }
  const uint64_t last = info.me_last_txnid;
  if (oldest.pid != pid_ || oldest.thread != thread_ || oldest.txnid != txnid_) {
    pid_ = oldest.pid;
    thread_ = oldest.thread;
    txnid_ = oldest.txnid;
    since_ = now;
  }
  ReaderLag lag;
  lag.pid = oldest.pid;
  lag.txnid = oldest.txnid;
  lag.lag_txns = last > oldest.txnid ? last - oldest.txnid : 0;
  lag.held = std::chrono::duration_cast<std::chrono::milliseconds>(now - since_);
  lag.stuck = lag.held.count() > 0 && lag.lag_txns > 0;
  return lag;
}

}  // namespace spillway::queue
