#pragma once

// Helpers shared by the queue benchmarks: a store in a temp dir with N accounts, and the raw
// LMDB loops that are the ceiling the writer is measured against in the same run.
#include <lmdb.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/logger.h"
#include "queue/lmdb_txn.h"
#include "queue/record_codec.h"
#include "queue/wal.h"
#include "test/support/temp_dir.h"

namespace spillway::bench {

class NullLogger final : public Logger {
 public:
  void write(LogLevel, std::string_view, std::string_view,
             std::initializer_list<LogField>) override {}
};

struct BenchStore {
  // What a benchmark may vary; the rest is fixed below.
  struct Options {
    std::chrono::milliseconds retain_delivered{0};
  };
  explicit BenchStore(int accounts) : BenchStore(accounts, Options()) {}
  BenchStore(int accounts, Options o) {
    options.dir = dir.sub("data");
    options.retain_delivered = o.retain_delivered;
    options.map_size = uint64_t{64} << 30;
    options.max_pending_appends = 1 << 16;
    auto w = queue::Wal::open(options, clock, log);
    if (!w) std::abort();
    wal = std::move(*w);
    for (int i = 0; i < accounts; ++i) {
      std::promise<Result<AccountId>> p;
      wal->writer().create_account({"bench" + std::to_string(i), {}, 1},
                                   [&p](Result<AccountId> r) { p.set_value(std::move(r)); });
      ids.push_back(p.get_future().get().value());
    }
  }
  test::TempDir dir;
  SystemClock clock;
  NullLogger log;
  queue::WalOptions options;
  std::unique_ptr<queue::Wal> wal;
  std::vector<AccountId> ids;
};

// The raw ceiling: `per_txn` puts of `payload` per commit, cycling over `accounts` accounts in
// the same key layout and record format as the writer, in an environment of its own that lives
// as long as the object (so runs can be interleaved with the writer's). Not thread-safe.
class RawAppender {
 public:
  RawAppender(int accounts, std::string payload);
  ~RawAppender();
  RawAppender(const RawAppender&) = delete;
  RawAppender& operator=(const RawAppender&) = delete;
  // Appends for `seconds`; returns the number of puts committed.
  uint64_t run(int per_txn, double seconds);

 private:
  test::TempDir dir_;
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
  std::vector<uint64_t> next_;
  std::string value_;
  int account_ = 0;
};

// The raw drain ceiling: read + delete `slice` events per account per visit, `per_txn` events
// per commit, over a store pre-filled like the writer's. Returns events per second.
double raw_drain_rate(int accounts, int slice, int per_txn, int events_per_account,
                      const std::string& payload);

}  // namespace spillway::bench
