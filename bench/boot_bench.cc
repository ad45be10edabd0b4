// Boot time and memory with a large backlog (issue: nodes ran out of memory at boot).
//   boot_bench fill DIR EVENTS ACCOUNTS   builds a store holding EVENTS 200-byte events spread
//                                         evenly over ACCOUNTS accounts (raw LMDB, in key order)
//   boot_bench open DIR                   opens it as the server does and prints the time to
//                                         ready and VmRSS / RssAnon at ready
// Run: bench/boot_drill.sh (builds 1M and 10M stores and compares them).
#include <lmdb.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "bench/bench_store.h"
#include "queue/lmdb_env.h"

using namespace spillway;

namespace {

int fill(const std::string& dir, uint64_t events, uint32_t accounts) {
  auto env = queue::LmdbEnv::open({dir, uint64_t{256} << 30, 126, false});
  if (!env) {
    std::fprintf(stderr, "%s\n", env.status().to_string().c_str());
    return 1;
  }
  const auto& t = (*env)->tables();
  std::string payload =
      R"({"type":"track","event":"boot","properties":{"pad":")" + std::string(140, 'x') + "\"}}";
  std::string value = queue::codec::event_value(payload, 1'700'000'000'000);
  uint64_t per_account = events / accounts;
  MDB_txn* txn = nullptr;
  for (uint32_t a = 1; a <= accounts; ++a) {
    if (txn == nullptr) mdb_txn_begin((*env)->get(), nullptr, 0, &txn);
    for (uint64_t s = 1; s <= per_account; ++s) {
      std::string k = queue::codec::event_key(AccountId{a}, Seq{s});
      MDB_val key = queue::as_val(k), val = queue::as_val(value);
      if (mdb_put(txn, t.events, &key, &val, MDB_APPEND) != 0) return 1;
    }
    queue::AccountRecord r;
    r.id = AccountId{a};
    r.name = "boot" + std::to_string(a);
    r.next_seq = per_account + 1;
    r.head_seq = per_account > 0 ? 1 : 0;
    r.depth = per_account;
    r.bytes = per_account * payload.size();
    r.oldest_ms = per_account > 0 ? 1'700'000'000'000 : 0;
    std::string rk = queue::codec::account_key(r.id), rv = queue::codec::account_value(r);
    MDB_val key = queue::as_val(rk), val = queue::as_val(rv);
    mdb_put(txn, t.accounts, &key, &val, 0);
    MDB_val nk = queue::as_val(r.name);
    std::string id = queue::codec::u32_value(a);
    MDB_val nv = queue::as_val(id);
    mdb_put(txn, t.account_names, &nk, &nv, 0);
    if (a % 1000 == 0 || a == accounts) {
      if (mdb_txn_commit(txn) != 0) return 1;
      txn = nullptr;
    }
  }
  mdb_txn_begin((*env)->get(), nullptr, 0, &txn);
  std::string v = queue::codec::u32_value(queue::codec::kFormatVersion);
  std::string next = queue::codec::u32_value(accounts + 1);
  for (auto [k, val] : {std::pair{queue::codec::kMetaFormatVersion, &v},
                        std::pair{queue::codec::kMetaNextAccountId, &next}}) {
    MDB_val mk = queue::as_val(k), mv = queue::as_val(*val);
    mdb_put(txn, t.meta, &mk, &mv, 0);
  }
  return mdb_txn_commit(txn) == 0 ? 0 : 1;
}

std::string status_field(const std::string& name) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + ":", 0) == 0) return line.substr(name.size() + 1);
  }
  return "?";
}

int open_store(const std::string& dir) {
  bench::NullLogger log;
  SystemClock clock;
  queue::WalOptions options;
  options.dir = dir;
  auto start = std::chrono::steady_clock::now();
  auto wal = queue::Wal::open(options, clock, log);
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!wal) {
    std::fprintf(stderr, "%s\n", wal.status().to_string().c_str());
    return 1;
  }
  auto totals = (*wal)->accounts().totals();
  std::printf("ready_ms=%.1f accounts=%llu events=%llu VmRSS=%s RssAnon=%s\n", ms,
              static_cast<unsigned long long>(totals.accounts),
              static_cast<unsigned long long>(totals.depth), status_field("VmRSS").c_str(),
              status_field("RssAnon").c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "fill" && argc == 5) return fill(argv[2], std::stoull(argv[3]), std::stoul(argv[4]));
  if (cmd == "open" && argc == 3) return open_store(argv[2]);
  std::fprintf(stderr, "usage: boot_bench fill DIR EVENTS ACCOUNTS | boot_bench open DIR\n");
  return 2;
}
