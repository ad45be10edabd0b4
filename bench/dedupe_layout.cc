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
#include <vector>

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

void put(MDB_txn* txn, MDB_dbi dbi, const void* k, size_t kn, const void* v, size_t vn,
         unsigned flags = 0) {
  MDB_val key{kn, const_cast<void*>(k)}, val{vn, const_cast<void*>(v)};
  check(mdb_put(txn, dbi, &key, &val, flags), "put");
}

void be64(unsigned char* out, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<unsigned char>(v);
}

struct Key {
  unsigned char b[20];  // account id (4) + key hash (16), like codec::dedupe_key
  bool operator<(const Key& o) const { return std::memcmp(b, o.b, sizeof b) < 0; }
};

Key random_key(std::mt19937_64& rng) {
  Key k{};
  k.b[3] = 1;  // account 1
  for (int i = 4; i < 20; i += 8) {
    uint64_t r = rng();
    std::memcpy(k.b + i, &r, std::min(8, 20 - i));
  }
  return k;
}

// The dedupe entry and its expiry entry, as the writer stores them.
void put_dedupe(MDB_txn* txn, const Env& e, const Key& k, uint64_t seq, uint64_t expiry_ms) {
  unsigned char v[16];
  be64(v, seq);
  be64(v + 8, expiry_ms);
  put(txn, e.dedupe, k.b, sizeof k.b, v, sizeof v);
  unsigned char xk[28];
  be64(xk, expiry_ms);
  std::memcpy(xk + 8, k.b, sizeof k.b);
  put(txn, e.expiry, xk, sizeof xk, "", 0);
}

void prefill(const Env& e, uint64_t n, std::mt19937_64& rng) {
  const uint64_t per_txn = 200000;
  for (uint64_t done = 0; done < n;) {
    std::vector<Key> keys;
    for (uint64_t i = 0; i < per_txn && done < n; ++i, ++done) keys.push_back(random_key(rng));
    std::sort(keys.begin(), keys.end());
    MDB_txn* txn = nullptr;
    check(mdb_txn_begin(e.env, nullptr, 0, &txn), "txn_begin");
    for (const Key& k : keys) put_dedupe(txn, e, k, 0, 1000 + done);
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
void merge(const Env& e, std::vector<std::pair<Key, uint64_t>>& staged, unsigned chunk,
           Stats& st) {
  std::sort(staged.begin(), staged.end());
  for (size_t at = 0; at < staged.size(); at += chunk) {
    auto t0 = Clock::now();
    MDB_txn* txn = nullptr;
    check(mdb_txn_begin(e.env, nullptr, 0, &txn), "txn_begin");
    size_t end = std::min(staged.size(), at + chunk);
    for (size_t i = at; i < end; ++i) {
      put_dedupe(txn, e, staged[i].first, staged[i].second, 86400000 + staged[i].second);
      unsigned char lk[8];
      be64(lk, staged[i].second);
      MDB_val key{sizeof lk, lk};
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
  std::vector<std::pair<Key, uint64_t>> staged;
  auto start = Clock::now();
  for (uint64_t seq = 0; seq < p.events;) {
    auto t0 = Clock::now();
    MDB_txn* txn = nullptr;
    check(mdb_txn_begin(e.env, nullptr, 0, &txn), "txn_begin");
    for (unsigned i = 0; i < p.group && seq < p.events; ++i, ++seq) {
      unsigned char ek[12] = {0, 0, 0, 1};
      be64(ek + 4, seq);
      put(txn, e.events, ek, sizeof ek, payload.data(), payload.size(), MDB_APPEND);
      Key k = random_key(rng);
      if (!staged_layout) {
        put_dedupe(txn, e, k, seq, 86400000 + seq);
        continue;
      }
      unsigned char lk[8], lv[36] = {};
      be64(lk, seq);
      std::memcpy(lv, k.b, sizeof k.b);
      be64(lv + 20, seq);
      put(txn, e.log, lk, sizeof lk, lv, sizeof lv, MDB_APPEND);
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
