// The queue's raw group-commit ceiling for the HTTP benchmark patterns: the same events
// appended straight through WalWriter with `inflight` appends outstanding (like 64 HTTP
// connections), no HTTP, no JSON. Prints one logfmt line per pattern.
// usage: queue_ceiling DATA_DIR SECONDS
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/logger.h"
#include "queue/wal.h"

namespace {

using namespace spillway;

struct Pattern {
  const char* name;
  uint32_t accounts;
  uint32_t events_per_append;
};

std::string event_payload(uint64_t n) {
  std::string s = R"({"type":"track","userId":"user-12345","event":"Order Completed",)"
                  R"("properties":{"revenue":42.5,"currency":"USD","sku":"SKU-0001",)"
                  R"("coupon":"none"},"context":{"library":{"name":"bench","version":"1"}},)"
                  R"("receivedAt":"2024-01-01T00:00:00.000Z","messageId":"bench-)";
  s.append(std::to_string(n)).append("\"}");
  return s;
}

// Keeps `inflight` appends outstanding for `seconds`; returns events/s.
double run(queue::Wal& wal, const Pattern& p, int inflight, int seconds, uint32_t first_account) {
  std::atomic<uint64_t> events{0}, seq{0};
  std::atomic<bool> stop{false};
  std::atomic<int> outstanding{0};
  std::mutex mu;
  std::condition_variable cv;
  std::function<void()> issue = [&]() {
    uint64_t n = seq.fetch_add(1);
    queue::AppendRequest req;
    req.account = AccountId{first_account + static_cast<uint32_t>(n % p.accounts)};
    for (uint32_t i = 0; i < p.events_per_append; ++i) {
      std::string key = "k";
      key.append(std::to_string(n * 1000 + i));
      req.events.push_back({event_payload(n * 1000 + i), std::move(key)});
    }
    ++outstanding;
    wal.writer().append(std::move(req), [&, p](Result<queue::AppendResult> r) {
      if (r.is_ok()) events += p.events_per_append;
      bool last = --outstanding == 0;
      if (!stop.load()) return issue();
      if (last) {
        std::lock_guard<std::mutex> lock(mu);
        cv.notify_all();
      }
    });
  };
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < inflight; ++i) issue();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  uint64_t done = events.load();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::unique_lock<std::mutex> lock(mu);
  cv.wait_for(lock, std::chrono::seconds(30), [&] { return outstanding.load() == 0; });
  return static_cast<double>(done) / secs;
}

uint32_t create_accounts(queue::Wal& wal, uint32_t n, const std::string& prefix) {
  std::atomic<uint32_t> first{UINT32_MAX};
  std::atomic<uint32_t> left{n};
  for (uint32_t i = 0; i < n; ++i) {
    queue::CreateAccountRequest req;
    req.name = prefix;
    req.name.append(std::to_string(i));
    wal.writer().create_account(std::move(req), [&](Result<AccountId> id) {
      if (id.is_ok()) {
        uint32_t v = id.value().value, cur = first.load();
        while (v < cur && !first.compare_exchange_weak(cur, v)) {
        }
      }
      --left;
    });
  }
  while (left.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return first.load();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: queue_ceiling DATA_DIR SECONDS\n");
    return 2;
  }
  SystemClock clock;
  StderrLogger log(LogLevel::kWarn);
  queue::WalOptions options;
  options.dir = argv[1];
  options.min_free_disk_bytes = 0;
  auto wal = queue::Wal::open(options, clock, log);
  if (!wal) {
    std::fprintf(stderr, "open: %s\n", wal.status().to_string().c_str());
    return 1;
  }
  int seconds = std::stoi(argv[2]);
  const Pattern patterns[] = {{"single_1_account", 1, 1},
                              {"single_1000_accounts", 1000, 1},
                              {"batch100_1000_accounts", 1000, 100}};
  int idx = 0;
  for (const auto& p : patterns) {
    std::string prefix = "p";
    prefix.append(std::to_string(idx++)).append("-");
    uint32_t first = create_accounts(**wal, p.accounts, prefix);
    double rate = run(**wal, p, 64, seconds, first);
    std::printf("pattern=%s inflight=64 events_per_s=%.0f\n", p.name, rate);
    std::fflush(stdout);
  }
  (*wal)->close();
  return 0;
}
