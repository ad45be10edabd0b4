// Fills a store quickly through the queue API (no HTTP) so that stores in service can be
// measured in seconds: KEYS events with distinct idempotency keys over ACCOUNTS accounts
// (bench0.., write keys wk_bench_0.., as bench/http_bench.sh creates them); the first
// KEYS - EVENTS are settled right after their append (delivered: their keys stay in the window,
// their events leave), the last EVENTS stay queued, as during an outage. Waits for the index's
// maintenance to finish what the load left, then prints one logfmt line. Run on a stopped server's
// data directory. With `unkeyed` the same events carry no idempotency key: the same backlog and the
// same churn of appended and deleted pages, with an empty index, to tell the index's cost from the
// backlog's.
// usage: store_loader DATA_DIR KEYS EVENTS ACCOUNTS [keyed|unkeyed]
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/digest.h"
#include "common/logger.h"
#include "queue/wal.h"

namespace {

using namespace spillway;

constexpr uint32_t kPerAppend = 1000;
constexpr int kInflight = 8;

std::vector<AccountId> ensure_accounts(queue::Wal& wal, uint32_t n) {
  std::vector<AccountId> ids;
  for (uint32_t i = 0; i < n; ++i) {
    std::string name = "bench" + std::to_string(i);
    if (auto rec = wal.accounts().find(name)) {
      ids.push_back(rec->id);
      continue;
    }
    std::promise<Result<AccountId>> p;
    wal.writer().create_account(
        {name, {{queue::KeyKind::kWriteKey, "wk_bench_" + std::to_string(i)}}, 1},
        [&p](Result<AccountId> r) { p.set_value(std::move(r)); });
    auto r = p.get_future().get();
    if (!r) {
      std::fprintf(stderr, "create %s: %s\n", name.c_str(), r.status().to_string().c_str());
      std::exit(1);
    }
    ids.push_back(*r);
  }
  return ids;
}

struct Load {
  Load(queue::Wal& w, std::vector<AccountId> a) : wal(w), accounts(std::move(a)) {}
  queue::Wal& wal;
  std::vector<AccountId> accounts;
  uint64_t keys = 0;
  uint64_t settle_below = 0;  // events numbered below this are settled after their append
  bool keyed = true;
  std::string nonce = random_hex(4);
  std::atomic<uint64_t> next{0}, done{0};
  std::atomic<int> outstanding{0};
  std::mutex mu;
  std::condition_variable cv;

  void finish_one() {
    if (--outstanding == 0) {
      std::lock_guard<std::mutex> lock(mu);
      cv.notify_all();
    }
  }

  void issue() {
    uint64_t first = next.fetch_add(kPerAppend);
    if (first >= keys) return finish_one();
    queue::AppendRequest req;
    req.account = accounts[(first / kPerAppend) % accounts.size()];
    req.received_ms = SystemClock().wall_ms();
    for (uint64_t n = first; n < std::min(keys, first + kPerAppend); ++n) {
      std::string id = "load-" + nonce + "-" + std::to_string(n);
      req.events.push_back({R"({"type":"track","event":"Loaded","messageId":")" + id +
                                R"(","properties":{"n":)" + std::to_string(n) + "}}",
                            keyed ? id : std::string()});
    }
    AccountId account = req.account;
    wal.writer().append(std::move(req), [this, first, account](Result<queue::AppendResult> r) {
      if (!r) {
        std::fprintf(stderr, "append: %s\n", r.status().to_string().c_str());
        std::exit(1);
      }
      done += r->outcomes.size();
      if (first >= settle_below) return issue();
      queue::SettleRequest s{account, {}, {}};
      for (const auto& o : r->outcomes) s.delivered.push_back(o.seq);
      wal.writer().settle(std::move(s), [this](Status st) {
        if (!st.is_ok()) std::fprintf(stderr, "settle: %s\n", st.to_string().c_str());
        issue();
      });
    });
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 &&
      !(argc == 6 && (std::string(argv[5]) == "keyed" || std::string(argv[5]) == "unkeyed"))) {
    std::fprintf(stderr, "usage: store_loader DATA_DIR KEYS EVENTS ACCOUNTS [keyed|unkeyed]\n");
    return 2;
  }
  StderrLogger log(LogLevel::kWarn);
  SystemClock clock;
  queue::WalOptions options;
  options.dir = argv[1];
  auto wal = queue::Wal::open(options, clock, log);
  if (!wal) {
    std::fprintf(stderr, "open: %s\n", wal.status().to_string().c_str());
    return 1;
  }
  Load load(**wal, ensure_accounts(**wal, static_cast<uint32_t>(std::stoul(argv[4]))));
  load.keys = std::stoull(argv[2]);
  load.keyed = argc == 5 || std::string(argv[5]) == "keyed";
  uint64_t events = std::stoull(argv[3]);
  load.settle_below = load.keys > events ? load.keys - events : 0;
  auto started = std::chrono::steady_clock::now();
  load.outstanding = kInflight;
  for (int i = 0; i < kInflight; ++i) load.issue();
  {
    std::unique_lock<std::mutex> lock(load.mu);
    while (
        !load.cv.wait_for(lock, std::chrono::seconds(10), [&] { return load.outstanding == 0; })) {
      auto st = (*wal)->writer().index_stats();
      std::fprintf(stderr, "loaded %lu keys; index: %lu runs, %lu in runs, %lu recent\n",
                   static_cast<unsigned long>(load.done.load()),
                   static_cast<unsigned long>(st.runs), static_cast<unsigned long>(st.run_keys),
                   static_cast<unsigned long>(st.recent_keys));
    }
  }
  double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  // Let maintenance finish what the load left (seals, merges, deletions), as it would have
  // over the hours a real store takes to gather this many keys; at most 10 minutes.
  for (int i = 0; i < 6000; ++i) {
    if (!(*wal)->writer().index_stats().busy) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto st = (*wal)->writer().index_stats();
  std::printf(
      "store_loader keys=%lu queued_events=%lu accounts=%zu seconds=%.1f keys_per_s=%.0f "
      "runs=%lu run_keys=%lu recent_keys=%lu seals=%lu merges=%lu\n",
      static_cast<unsigned long>(load.keys), static_cast<unsigned long>(events),
      load.accounts.size(), load_s, static_cast<double>(load.keys) / load_s,
      static_cast<unsigned long>(st.runs), static_cast<unsigned long>(st.run_keys),
      static_cast<unsigned long>(st.recent_keys), static_cast<unsigned long>(st.seals),
      static_cast<unsigned long>(st.merges));
  (*wal)->close();
  return 0;
}
