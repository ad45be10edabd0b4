// Queue throughput, each figure next to its raw LMDB ceiling measured in the same run:
//   BM_WalAppend/<submitters>/<accounts>: 200-byte events, one event per append, `submitters`
//     appends kept in flight (a closed loop, like HTTP clients), spread over `accounts`. The raw
//     loop does the same puts in transactions of the writer's observed group size.
//   BM_WalDrain/<slice>: read + settle slices of `slice` events per account over 1,000
//     accounts, 20 slices in flight, against a raw read+delete loop of the same shape.
//   BM_WalDrainRetention/<slice>: the same drain with and without `retain_delivered`, in
//     alternating slices: settle's cost of keeping delivered events for replay.
// Run: meson setup build-bench -Dbench=true && ninja -C build-bench bench/wal_bench &&
//      build-bench/bench/wal_bench
#include <benchmark/benchmark.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>

#include "bench/bench_store.h"

using namespace spillway;
using namespace spillway::bench;

namespace {

constexpr double kSeconds = 2.0;

std::string payload_of(size_t n) {
  std::string p = R"({"type":"track","event":"bench","properties":{"pad":")";
  p.append(n > p.size() + 3 ? n - p.size() - 3 : 0, 'x');
  p += "\"}}";
  return p;
}

// Keeps `inflight` asynchronous chains going until `deadline`; each chain calls `step(i, next)`,
// which starts one operation that calls `next()` when it completed, or returns false when the
// chain has nothing left to do. Returns when every chain has stopped.
void run_chains(int inflight, std::chrono::steady_clock::time_point deadline,
                const std::function<bool(int, std::function<void()>)>& step) {
  // Completions run on the writer thread; like the HTTP server, hand the client's next step to
  // another thread at once instead of doing it on the writer thread.
  boost::asio::thread_pool clients(1);
  std::mutex mu;
  std::condition_variable cv;
  int live = inflight;
  std::function<void(int)> go = [&](int i) {
    auto next = [&go, &clients, i] { boost::asio::post(clients, [&go, i] { go(i); }); };
    if (std::chrono::steady_clock::now() < deadline && step(i, next)) return;
    std::lock_guard<std::mutex> lock(mu);
    if (--live == 0) cv.notify_all();
  };
  for (int i = 0; i < inflight; ++i) go(i);
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return live == 0; });
  clients.join();
}

// Runs the writer and the raw loop in alternating slices, so both see the same disk: on a
// shared machine the fsync rate drifts by 10x within a minute, and a ratio of two runs made
// one after the other would measure the drift, not the writer.
void BM_WalAppend(benchmark::State& state) {
  const int submitters = static_cast<int>(state.range(0));
  const int accounts = static_cast<int>(state.range(1));
  const std::string payload = payload_of(200);
  constexpr int kSlices = 8;
  for (auto _ : state) {
    BenchStore store(accounts);
    RawAppender raw(accounts, payload);
    std::atomic<uint64_t> events{0}, counter{0};
    uint64_t raw_puts = 0;
    double writer_secs = 0, raw_secs = 0;
    auto before = store.wal->writer().stats();
    for (int slice = 0; slice < kSlices; ++slice) {
      auto start = std::chrono::steady_clock::now();
      auto slice_len = std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::duration<double>(kSeconds / kSlices));
      run_chains(submitters, start + slice_len, [&](int, std::function<void()> next) {
        queue::AppendRequest req;
        req.account = store.ids[counter++ % store.ids.size()];
        req.events.push_back({payload, ""});
        store.wal->writer().append(std::move(req), [&, next](Result<queue::AppendResult> r) {
          if (r) events++;
          next();
        });
        return true;
      });
      writer_secs +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      double commits = static_cast<double>(store.wal->writer().stats().commits - before.commits);
      int group =
          std::max(1, static_cast<int>(static_cast<double>(events) / std::max(1.0, commits) + 0.5));
      auto raw_start = std::chrono::steady_clock::now();
      raw_puts += raw.run(group, kSeconds / kSlices);
      raw_secs +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - raw_start).count();
    }
    double commits = static_cast<double>(store.wal->writer().stats().commits - before.commits);
    double rate = static_cast<double>(events.load()) / writer_secs;
    double raw_rate = static_cast<double>(raw_puts) / raw_secs;
    state.counters["events_per_s"] = rate;
    state.counters["commits_per_s"] = commits / writer_secs;
    state.counters["group_size"] = static_cast<double>(events.load()) / std::max(1.0, commits);
    state.counters["raw_events_per_s"] = raw_rate;
    state.counters["ratio_to_raw"] = rate / raw_rate;
  }
}

// Appends `per_account` events of `payload` to every account of `store`.
void prefill(BenchStore& store, int per_account, const std::string& payload) {
  for (AccountId id : store.ids) {
    queue::AppendRequest req;
    req.account = id;
    for (int i = 0; i < per_account; ++i) req.events.push_back({payload, ""});
    std::promise<void> p;
    store.wal->writer().append(std::move(req),
                               [&p](Result<queue::AppendResult>) { p.set_value(); });
    p.get_future().wait();
  }
}

// Reads and settles slices of `slice` events until `deadline` or the store is empty, with
// `inflight` chains; chain i owns accounts i, i+inflight, ... (inflight divides the account
// count), so at most one slice per account is in flight, as in the drainer. Returns the events
// settled.
uint64_t drain_until(BenchStore& store, int slice, int inflight,
                     std::chrono::steady_clock::time_point deadline) {
  std::atomic<uint64_t> drained{0};
  std::vector<size_t> next_account(inflight);
  for (int i = 0; i < inflight; ++i) next_account[i] = i;
  run_chains(inflight, deadline, [&](int i, std::function<void()> next) {
    for (size_t tries = 0; tries < store.ids.size() / inflight + 1; ++tries) {
      AccountId a = store.ids[next_account[i]];
      next_account[i] = (next_account[i] + inflight) % store.ids.size();
      auto events = store.wal->reader().read(a, Seq{0}, slice, UINT64_MAX);
      if (!events || events->empty()) continue;
      queue::SettleRequest req{a, {}, {}};
      for (const auto& e : *events) req.delivered.push_back(e.seq);
      uint64_t n = events->size();
      store.wal->writer().settle(std::move(req), [&, n, next](Status s) {
        if (s.is_ok()) drained += n;
        next();
      });
      return true;
    }
    return false;  // this chain's accounts are empty
  });
  return drained.load();
}

void BM_WalDrain(benchmark::State& state) {
  const int slice = static_cast<int>(state.range(0));
  constexpr int kAccounts = 1000, kPerAccount = 200, kInflight = 20;
  const std::string payload = payload_of(200);
  for (auto _ : state) {
    state.PauseTiming();
    BenchStore store(kAccounts);
    prefill(store, kPerAccount, payload);
    state.ResumeTiming();
    auto before = store.wal->writer().stats();
    auto start = std::chrono::steady_clock::now();
    uint64_t drained = drain_until(store, slice, kInflight, start + std::chrono::seconds(30));
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double commits = static_cast<double>(store.wal->writer().stats().commits - before.commits);
    double rate = static_cast<double>(drained) / secs;
    double per_txn = static_cast<double>(drained) / std::max(1.0, commits);
    double raw = raw_drain_rate(kAccounts, slice, std::max(1, static_cast<int>(per_txn + 0.5)),
                                kPerAccount, payload);
    state.counters["events_per_s"] = rate;
    state.counters["events_per_commit"] = per_txn;
    state.counters["raw_events_per_s"] = raw;
    state.counters["ratio_to_raw"] = rate / raw;
  }
}

// Settle's cost of retention (issue 13: >= 0.8x of without): two stores filled alike, one
// keeping every delivered event (`retain_delivered`, one sequential row per event in the settle's
// transaction), drained in alternating slices so both see the same disk and the same neighbours.
void BM_WalDrainRetention(benchmark::State& state) {
  const int slice = static_cast<int>(state.range(0));
  constexpr int kAccounts = 1000, kPerAccount = 600, kInflight = 20, kRounds = 8;
  constexpr auto kRound = std::chrono::milliseconds(400);
  const std::string payload = payload_of(200);
  for (auto _ : state) {
    state.PauseTiming();
    BenchStore plain(kAccounts);
    BenchStore::Options keep;
    keep.retain_delivered = std::chrono::hours(1);
    BenchStore retaining(kAccounts, keep);
    prefill(plain, kPerAccount, payload);
    prefill(retaining, kPerAccount, payload);
    state.ResumeTiming();
    uint64_t n[2] = {0, 0};
    double secs[2] = {0, 0};
    for (int round = 0; round < kRounds; ++round) {
      for (int k = 0; k < 2; ++k) {
        int which = (round % 2 == 0) ? k : 1 - k;  // flip the order every round
        BenchStore& store = which == 0 ? plain : retaining;
        auto start = std::chrono::steady_clock::now();
        n[which] += drain_until(store, slice, kInflight, start + kRound);
        secs[which] +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      }
    }
    // Proves the retaining store really kept what it settled (a bench of nothing would not).
    state.counters["retained_events"] =
        static_cast<double>(retaining.wal->writer().retained_stats().events);
    state.counters["plain_events_per_s"] = static_cast<double>(n[0]) / secs[0];
    state.counters["retaining_events_per_s"] = static_cast<double>(n[1]) / secs[1];
    state.counters["ratio_retaining_to_plain"] =
        (static_cast<double>(n[1]) / secs[1]) / (static_cast<double>(n[0]) / secs[0]);
  }
}

}  // namespace

BENCHMARK(BM_WalAppend)
    ->ArgsProduct({{1, 16, 256}, {1, 1000}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_WalDrain)
    ->Arg(10)
    ->Arg(100)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_WalDrainRetention)
    ->Arg(10)
    ->Arg(100)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_MAIN();
