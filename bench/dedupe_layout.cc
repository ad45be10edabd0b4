// Decides a storage question with raw LMDB: should remembered idempotency keys be staged in an
// append-only log and merged into the hash-keyed `dedupe` index later (DESIGN.md §3, the
// staging step), instead of being put into `dedupe` by the commit that acknowledges them?
//
// Both layouts run the same work in synchronous commits of GROUP events (as the writer sees
// at 64 connections): one 300-byte event row per event (one account, sequential keys) plus its
// dedupe entry. "direct" puts a random 20-byte key into `dedupe` and a time-ordered key into
// `dedupe_expiry` in the same commit. "staged" appends a 36-byte row to `log` (MDB_APPEND);
// every MERGE staged keys, they are sorted and merged into `dedupe` and `dedupe_expiry` in
// transactions of CHUNK keys that also delete their log rows. The index is pre-filled with
// PREFILL random keys first (not timed): the size of the 24-hour window decides whether a
// merge touches each leaf many times or once.
//
// usage: dedupe_layout DIR PREFILL EVENTS [GROUP MERGE CHUNK]
// Prints, per layout: events/s, mean and p99 commit time of the acknowledging commits, the
// longest merge transaction (a stall every waiting request sees), and time spent merging.
#include <lmdb.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "queue/record_codec.h"

namespace {

using Clock = std::chrono::steady_clock;

void check(int rc, const char* what) {
  if (rc == MDB_SUCCESS) return;
  std::fprintf(stderr, "%s: %s\n", what, mdb_strerror(rc));
  std::exit(1);
}

struct Env {
  MDB_env* env = nullptr;
  MDB_dbi events = 0, dedupe = 0, expiry = 0, log = 0;
};

Env open_env(const std::string& dir) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  Env e;
  check(mdb_env_create(&e.env), "env_create");
  check(mdb_env_set_mapsize(e.env, size_t{64} << 30), "set_mapsize");
  check(mdb_env_set_maxdbs(e.env, 8), "set_maxdbs");
  check(mdb_env_open(e.env, dir.c_str(), 0, 0644), "env_open");  // synchronous, as deployed
  MDB_txn* txn = nullptr;
  check(mdb_txn_begin(e.env, nullptr, 0, &txn), "txn_begin");
  check(mdb_dbi_open(txn, "events", MDB_CREATE, &e.events), "dbi events");
  check(mdb_dbi_open(txn, "dedupe", MDB_CREATE, &e.dedupe), "dbi dedupe");
  check(mdb_dbi_open(txn, "dedupe_expiry", MDB_CREATE, &e.expiry), "dbi expiry");
  check(mdb_dbi_open(txn, "log", MDB_CREATE, &e.log), "dbi log");
  check(mdb_txn_commit(txn), "commit");
  return e;
}

void put(MDB_txn* txn, MDB_dbi dbi, std::string_view k, std::string_view v, unsigned flags = 0) {
  MDB_val key{k.size(), const_cast<char*>(k.data())}, val{v.size(), const_cast<char*>(v.data())};
  check(mdb_put(txn, dbi, &key, &val, flags), "put");
}

using spillway::AccountId;
using spillway::Seq;
using spillway::queue::codec::KeyHash;
namespace codec = spillway::queue::codec;
const AccountId kAccount{1};

KeyHash random_key(std::mt19937_64& rng) {
  KeyHash h{};
  for (size_t i = 0; i < h.size(); i += 8) {
    uint64_t r = rng();
    std::memcpy(h.data() + i, &r, 8);
  }
  return h;
}

// The dedupe entry and its expiry entry, in the writer's layout (queue/record_codec.h).
void put_dedupe(MDB_txn* txn, const Env& e, const KeyHash& k, uint64_t seq, int64_t expiry_ms) {
  put(txn, e.dedupe, codec::dedupe_key(kAccount, k), codec::dedupe_value(Seq{seq}, expiry_ms));
  put(txn, e.expiry, codec::dedupe_expiry_key(expiry_ms, kAccount, k), {});
}

// A staged row: u64 BE id -> the dedupe key and value (expiry not needed to merge here).
std::string log_key(uint64_t id) {
  std::string k(8, '\0');
  for (int i = 7; i >= 0; --i, id >>= 8) k[static_cast<size_t>(i)] = static_cast<char>(id & 0xff);
  return k;
}

void prefill(const Env& e, uint64_t n, std::mt19937_64& rng) {
  const uint64_t per_txn = 200000;
  for (uint64_t done = 0; done < n;) {
    std::vector<KeyHash> keys;
    for (uint64_t i = 0; i < per_txn && done < n; ++i, ++done) keys.push_back(random_key(rng));
    std::sort(keys.begin(), keys.end());
    MDB_txn* txn = nullptr;
    check(mdb_txn_begin(e.env, nullptr, 0, &txn), "txn_begin");
    for (const KeyHash& k : keys) put_dedupe(txn, e, k, 0, static_cast<int64_t>(1000 + done));
    check(mdb_txn_commit(txn), "commit");
  }
}

struct Stats {
  double seconds = 0, merge_seconds = 0, max_merge_ms = 0;
  std::vector<double> commit_ms;
};

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

struct Params {
  uint64_t events = 0;
  unsigned group = 28, merge = 32768, chunk = 1024;
};

// Merges every staged key, sorted, in transactions of `chunk`; deletes their log rows.
void merge(const Env& e, std::vector<std::pair<KeyHash, uint64_t>>& staged, unsigned chunk,
           Stats& st) {
  std::sort(staged.begin(), staged.end());
  for (size_t at = 0; at < staged.size(); at += chunk) {
    auto t0 = Clock::now();
    MDB_txn* txn = nullptr;
    check(mdb_txn_begin(e.env, nullptr, 0, &txn), "txn_begin");
    size_t end = std::min(staged.size(), at + chunk);
    for (size_t i = at; i < end; ++i) {
      const auto& [k, seq] = staged[i];
      put_dedupe(txn, e, k, seq, static_cast<int64_t>(86400000 + seq));
      std::string lk = log_key(seq);
      MDB_val key{lk.size(), lk.data()};
      check(mdb_del(txn, e.log, &key, nullptr), "del log");
    }
    check(mdb_txn_commit(txn), "commit");
    double ms = ms_since(t0);
    st.merge_seconds += ms / 1000;
    st.max_merge_ms = std::max(st.max_merge_ms, ms);
  }
  staged.clear();
}

Stats run(const Env& e, bool staged_layout, const Params& p, std::mt19937_64& rng) {
  Stats st;
  std::string payload(300, 'e');
  std::vector<std::pair<KeyHash, uint64_t>> staged;
  auto start = Clock::now();
  for (uint64_t seq = 0; seq < p.events;) {
    auto t0 = Clock::now();
    MDB_txn* txn = nullptr;
    check(mdb_txn_begin(e.env, nullptr, 0, &txn), "txn_begin");
    for (unsigned i = 0; i < p.group && seq < p.events; ++i, ++seq) {
      // The payload alone, without the writer's 16-byte record header.
      put(txn, e.events, codec::event_key(kAccount, Seq{seq}), payload, MDB_APPEND);
      KeyHash k = random_key(rng);
      if (!staged_layout) {
        put_dedupe(txn, e, k, seq, static_cast<int64_t>(86400000 + seq));
        continue;
      }
      put(txn, e.log, log_key(seq),
          codec::dedupe_key(kAccount, k) + codec::dedupe_value(Seq{seq}, 0), MDB_APPEND);
      staged.emplace_back(k, seq);
    }
    check(mdb_txn_commit(txn), "commit");
    st.commit_ms.push_back(ms_since(t0));
    if (staged.size() >= p.merge) merge(e, staged, p.chunk, st);
  }
  if (!staged.empty()) merge(e, staged, p.chunk, st);
  st.seconds = ms_since(start) / 1000;
  return st;
}

void report(const char* name, const Stats& st, const Params& p) {
  std::vector<double> c = st.commit_ms;
  std::sort(c.begin(), c.end());
  double mean = 0;
  for (double x : c) mean += x;
  mean /= static_cast<double>(c.size());
  std::printf(
      "layout=%s events_per_s=%.0f commit_mean_ms=%.3f commit_p99_ms=%.3f max_merge_txn_ms=%.1f "
      "merge_share=%.2f\n",
      name, static_cast<double>(p.events) / st.seconds, mean, c[c.size() * 99 / 100],
      st.max_merge_ms, st.merge_seconds / st.seconds);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: dedupe_layout DIR PREFILL EVENTS [GROUP MERGE CHUNK]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const uint64_t prefill_keys = std::strtoull(argv[2], nullptr, 10);
  Params p;
  p.events = std::strtoull(argv[3], nullptr, 10);
  if (argc > 4) p.group = static_cast<unsigned>(std::atoi(argv[4]));
  if (argc > 5) p.merge = static_cast<unsigned>(std::atoi(argv[5]));
  if (argc > 6) p.chunk = static_cast<unsigned>(std::atoi(argv[6]));
  std::printf("prefill=%llu events=%llu group=%u merge=%u chunk=%u\n",
              static_cast<unsigned long long>(prefill_keys),
              static_cast<unsigned long long>(p.events), p.group, p.merge, p.chunk);
  double rate[2] = {};
  for (int staged = 0; staged < 2; ++staged) {
    std::mt19937_64 rng(42);
    Env e = open_env(dir + (staged ? "/staged" : "/direct"));
    prefill(e, prefill_keys, rng);
    Stats st = run(e, staged == 1, p, rng);
    report(staged ? "staged" : "direct", st, p);
    rate[staged] = static_cast<double>(p.events) / st.seconds;
    mdb_env_close(e.env);
    std::filesystem::remove_all(dir + (staged ? "/staged" : "/direct"));
  }
  std::printf("staged/direct events_per_s=%.2f\n", rate[1] / rate[0]);
  return 0;
}
