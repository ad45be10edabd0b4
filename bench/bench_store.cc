#include "bench/bench_store.h"

#include <chrono>
#include <cstdlib>

namespace spillway::bench {
namespace {

using Clock = std::chrono::steady_clock;

MDB_env* open_raw(const std::string& dir, MDB_dbi& dbi) {
  MDB_env* env = nullptr;
  mdb_env_create(&env);
  mdb_env_set_mapsize(env, uint64_t{64} << 30);
  mdb_env_set_maxdbs(env, 4);
  if (mdb_env_open(env, dir.c_str(), MDB_NOTLS, 0600) != 0) std::abort();
  MDB_txn* txn = nullptr;
  mdb_txn_begin(env, nullptr, 0, &txn);
  mdb_dbi_open(txn, "events", MDB_CREATE, &dbi);
  mdb_txn_commit(txn);
  return env;
}

void put(MDB_txn* txn, MDB_dbi dbi, const std::string& k, const std::string& v) {
  MDB_val key = queue::as_val(k), val = queue::as_val(v);
  if (mdb_put(txn, dbi, &key, &val, 0) != 0) std::abort();
}

}  // namespace

RawAppender::RawAppender(int accounts, std::string payload)
    : next_(accounts, 1), value_(queue::codec::event_value(payload, 1)) {
  env_ = open_raw(dir_.path(), dbi_);
}

RawAppender::~RawAppender() { mdb_env_close(env_); }

uint64_t RawAppender::run(int per_txn, double seconds) {
  uint64_t puts = 0;
  auto start = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
    MDB_txn* txn = nullptr;
    mdb_txn_begin(env_, nullptr, 0, &txn);
    for (int i = 0; i < per_txn; ++i, ++puts) {
      account_ = (account_ + 1) % static_cast<int>(next_.size());
      put(txn, dbi_,
          queue::codec::event_key(AccountId{uint32_t(account_ + 1)}, Seq{next_[account_]++}),
          value_);
    }
    if (mdb_txn_commit(txn) != 0) std::abort();
  }
  return puts;
}

double raw_drain_rate(int accounts, int slice, int per_txn, int events_per_account,
                      const std::string& payload) {
  test::TempDir dir;
  MDB_dbi dbi = 0;
  MDB_env* env = open_raw(dir.path(), dbi);
  std::string value = queue::codec::event_value(payload, 1);
  MDB_txn* txn = nullptr;
  mdb_txn_begin(env, nullptr, 0, &txn);
  for (int a = 0; a < accounts; ++a) {
    for (int s = 1; s <= events_per_account; ++s) {
      put(txn, dbi, queue::codec::event_key(AccountId{uint32_t(a + 1)}, Seq{uint64_t(s)}), value);
    }
  }
  mdb_txn_commit(txn);
  std::vector<uint64_t> head(accounts, 1);
  uint64_t total = uint64_t(accounts) * events_per_account, done = 0;
  int account = 0;
  auto start = Clock::now();
  while (done < total) {
    mdb_txn_begin(env, nullptr, 0, &txn);
    for (int n = 0; n < per_txn && done < total;) {
      account = (account + 1) % accounts;
      for (int i = 0; i < slice && head[account] <= uint64_t(events_per_account);
           ++i, ++n, ++done) {
        std::string k =
            queue::codec::event_key(AccountId{uint32_t(account + 1)}, Seq{head[account]++});
        MDB_val key = queue::as_val(k), val{};
        if (mdb_get(txn, dbi, &key, &val) != 0 || mdb_del(txn, dbi, &key, nullptr) != 0)
          std::abort();
      }
    }
    if (mdb_txn_commit(txn) != 0) std::abort();
  }
  double rate =
      static_cast<double>(total) / std::chrono::duration<double>(Clock::now() - start).count();
  mdb_env_close(env);
  return rate;
}

}  // namespace spillway::bench
