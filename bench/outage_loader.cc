// outage_loader: the HTTP load of the outage drill (bench/outage_drill.py), over cpp-httplib.
//
//   outage_loader accounts --port P --accounts N [--connections K]
//   outage_loader backlog  --port P --accounts N --events E --ledger FILE
//                          [--zipf-s 1.1] [--seed 1] [--batch 500] [--connections 4]
//   outage_loader live     --port P --accounts N --events E --rate R --ledger FILE
//                          [--zipf-s 1.1] [--seed 1] [--connections 4] [--tick-ms 1000]
//                          [--seconds S]   (otherwise until SIGINT/SIGTERM)
//
// Account i is "acct-%04d" with write key "wk-drill-%04d"; the admin token comes from
// $SPILLWAY_ADMIN_TOKEN. Backlog sizes are rank-size Zipf (fairsim.py zipf_sizes: share of
// rank r proportional to r^-s, rounded to the exact total), shuffled over accounts with the
// seed; the backlog is sent as per-account chunks of --batch events in a seeded random order, so
// accounts interleave as they would during an outage. Live traffic arrives at R events/s in
// total, split in proportion to each account's backlog (fairsim's live model), sent once per
// tick. Every event has a unique messageId ("acct-0007.b123", ".l" for live); each one
// acknowledged with 200 is appended to the ledger, so a checker can prove zero loss. Requests
// that fail are retried with the same messageIds (the queue deduplicates them). A JSON summary
// goes to stdout.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string mode;
  std::map<std::string, std::string> kv;
  std::string str(const std::string& k, const std::string& def = "") const {
    auto it = kv.find(k);
    return it == kv.end() ? def : it->second;
  }
  double num(const std::string& k, double def) const {
    auto it = kv.find(k);
    return it == kv.end() ? def : std::atof(it->second.c_str());
  }
};

std::string account_name(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "acct-%04d", i);
  return buf;
}

std::string write_key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "wk-drill-%04d", i);
  return buf;
}

// fairsim.py round_to_total(zipf): integer sizes >= 1 proportional to r^-s summing to total.
std::vector<uint64_t> zipf_sizes(int n, uint64_t total, double s) {
  std::vector<double> exact(static_cast<size_t>(n));
  double sum = 0;
  for (int r = 1; r <= n; ++r) sum += std::pow(r, -s);
  for (int r = 1; r <= n; ++r) exact[r - 1] = static_cast<double>(total) * std::pow(r, -s) / sum;
  std::vector<uint64_t> sizes(exact.size());
  uint64_t got = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    sizes[i] = std::max<uint64_t>(1, static_cast<uint64_t>(std::floor(exact[i])));
    got += sizes[i];
  }
  std::vector<size_t> order(sizes.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return exact[a] - std::floor(exact[a]) > exact[b] - std::floor(exact[b]);
  });
  for (size_t j = 0; got < total; ++j, ++got) sizes[order[j % order.size()]] += 1;
  while (got > total) {
    *std::max_element(sizes.begin(), sizes.end()) -= 1;
    --got;
  }
  return sizes;
}

// Backlog size per account id: Zipf by rank, ranks shuffled over ids with the seed.
std::vector<uint64_t> account_sizes(const Args& a) {
  auto sizes = zipf_sizes(static_cast<int>(a.num("accounts", 1000)),
                          static_cast<uint64_t>(a.num("events", 1e6)), a.num("zipf-s", 1.1));
  std::mt19937_64 rng(static_cast<uint64_t>(a.num("seed", 1)));
  std::shuffle(sizes.begin(), sizes.end(), rng);
  return sizes;
}

// Appends acknowledged messageIds; shared by the sender threads.
class Ledger {
 public:
  explicit Ledger(const std::string& path) : f_(std::fopen(path.c_str(), "a")) {
    if (f_ == nullptr) {
      std::perror(path.c_str());
      std::exit(2);
    }
  }
  ~Ledger() { std::fclose(f_); }
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;
  void add(const std::vector<std::string>& ids) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& id : ids) std::fprintf(f_, "%s\n", id.c_str());
    acked_ += ids.size();
  }
  uint64_t acked() {
    std::lock_guard<std::mutex> lock(mu_);
    return acked_;
  }

 private:
  std::mutex mu_;
  std::FILE* f_;
  uint64_t acked_ = 0;
};

std::atomic<bool> g_stop{false};
std::atomic<uint64_t> g_retries{0};
std::atomic<uint64_t> g_failed{0};

std::unique_ptr<httplib::Client> client(const Args& a) {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", static_cast<int>(a.num("port", 8080)));
  c->set_read_timeout(60, 0);
  c->set_write_timeout(60, 0);
  c->set_keep_alive(true);
  return c;
}

// One /v1/batch of `count` events of account i with messageIds "<name>.<kind><k>".
bool send_batch(httplib::Client& c, int i, char kind, uint64_t first, uint64_t count,
                Ledger& ledger) {
  const std::string name = account_name(i);
  std::vector<std::string> ids;
  std::string body = "{\"batch\":[";
  for (uint64_t k = first; k < first + count; ++k) {
    ids.push_back(name + "." + kind + std::to_string(k));
    if (k != first) body += ',';
    body += R"({"type":"track","userId":"u)" + std::to_string(k % 97) +
            R"(","event":"Drill","messageId":")" + ids.back() + R"(","properties":{"k":)" +
            std::to_string(k) + "}}";
  }
  body += "]}";
  const httplib::Headers h = {httplib::make_basic_authentication_header(write_key(i), "")};
  for (int attempt = 0; attempt < 60; ++attempt) {
    auto r = c.Post("/v1/batch", h, body, "application/json");
    if (r && r->status == 200) {
      ledger.add(ids);
      return true;
    }
    g_retries++;
    std::this_thread::sleep_for(std::chrono::milliseconds(r ? 500 : 100));
  }
  g_failed += count;
  return false;
}

int run_accounts(const Args& a) {
  const int n = static_cast<int>(a.num("accounts", 1000));
  const std::string token =
      std::getenv("SPILLWAY_ADMIN_TOKEN") ? std::getenv("SPILLWAY_ADMIN_TOKEN") : "";
  std::atomic<int> next{0};
  std::atomic<int> created{0};
  std::atomic<int> bad{0};
  auto work = [&] {
    auto c = client(a);
    const httplib::Headers h = {{"Authorization", "Bearer " + token}};
    for (int i = next++; i < n; i = next++) {
      std::string body =
          R"({"name":")" + account_name(i) + R"(","write_key":")" + write_key(i) + R"("})";
      auto r = c->Post("/v1/admin/accounts", h, body, "application/json");
      if (r && (r->status == 201 || r->status == 409)) {
        created++;
      } else {
        bad++;
      }
    }
  };
  std::vector<std::thread> ts;
  for (int t = 0; t < static_cast<int>(a.num("connections", 4)); ++t) ts.emplace_back(work);
  for (auto& t : ts) t.join();
  std::printf("{\"accounts\":%d,\"failed\":%d}\n", created.load(), bad.load());
  return bad == 0 ? 0 : 1;
}

int run_backlog(const Args& a) {
  const auto sizes = account_sizes(a);
  const auto batch = static_cast<uint64_t>(a.num("batch", 500));
  struct Chunk {
    int account;
    uint64_t first, count;
  };
  std::vector<Chunk> chunks;
  for (size_t i = 0; i < sizes.size(); ++i)
    for (uint64_t k = 0; k < sizes[i]; k += batch)
      chunks.push_back({static_cast<int>(i), k, std::min(batch, sizes[i] - k)});
  std::mt19937_64 rng(static_cast<uint64_t>(a.num("seed", 1)) + 1);
  std::shuffle(chunks.begin(), chunks.end(), rng);
  Ledger ledger(a.str("ledger"));
  std::atomic<size_t> next{0};
  const auto start = Clock::now();
  auto work = [&] {
    auto c = client(a);
    for (size_t j = next++; j < chunks.size(); j = next++)
      send_batch(*c, chunks[j].account, 'b', chunks[j].first, chunks[j].count, ledger);
  };
  std::vector<std::thread> ts;
  for (int t = 0; t < static_cast<int>(a.num("connections", 4)); ++t) ts.emplace_back(work);
  for (auto& t : ts) t.join();
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "{\"backlog_acked\":%llu,\"requests\":%zu,\"seconds\":%.2f,\"retries\":%llu,"
      "\"failed\":%llu,\"largest\":%llu,\"smallest\":%llu}\n",
      static_cast<unsigned long long>(ledger.acked()), chunks.size(), secs,
      static_cast<unsigned long long>(g_retries.load()),
      static_cast<unsigned long long>(g_failed.load()),
      static_cast<unsigned long long>(*std::max_element(sizes.begin(), sizes.end())),
      static_cast<unsigned long long>(*std::min_element(sizes.begin(), sizes.end())));
  return g_failed == 0 ? 0 : 1;
}

// Sender thread `t` of `k`: the accounts i with i % k == t, one request per account and tick.
void live_sender(const Args& a, int t, int k, const std::vector<double>& rates, Ledger& ledger) {
  auto c = client(a);
  const auto tick = std::chrono::milliseconds(static_cast<int>(a.num("tick-ms", 1000)));
  std::mt19937_64 rng(static_cast<uint64_t>(a.num("seed", 1)) * 7919 + static_cast<uint64_t>(t));
  std::uniform_real_distribution<double> phase(0.0, 1.0);
  std::vector<double> owed(rates.size());
  std::vector<uint64_t> next_k(rates.size(), 0);
  for (double& o : owed) o = phase(rng);  // spread the first events of slow accounts
  auto last = Clock::now();
  for (auto deadline = last + tick; !g_stop; deadline += tick) {
    std::this_thread::sleep_until(deadline);
    const auto now = Clock::now();
    const double dt = std::chrono::duration<double>(now - last).count();
    last = now;
    for (size_t i = static_cast<size_t>(t); i < rates.size() && !g_stop;
         i += static_cast<size_t>(k)) {
      owed[i] += rates[i] * dt;
      auto n = static_cast<uint64_t>(std::floor(owed[i]));
      if (n == 0) continue;
      owed[i] -= static_cast<double>(n);
      for (uint64_t sent = 0; sent < n; sent += 500) {
        const uint64_t m = std::min<uint64_t>(500, n - sent);
        send_batch(*c, static_cast<int>(i), 'l', next_k[i], m, ledger);
        next_k[i] += m;
      }
    }
  }
}

int run_live(const Args& a) {
  const auto sizes = account_sizes(a);
  const double total = std::accumulate(sizes.begin(), sizes.end(), 0.0);
  std::vector<double> rates;
  for (uint64_t b : sizes) rates.push_back(a.num("rate", 0) * static_cast<double>(b) / total);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts
  Ledger ledger(a.str("ledger"));
  const int k = static_cast<int>(a.num("connections", 4));
  const auto start = Clock::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < k; ++t)
    ts.emplace_back(live_sender, std::cref(a), t, k, std::cref(rates), std::ref(ledger));
  const double seconds = a.num("seconds", 0);
  std::thread stopper([&] {
    if (seconds > 0) {
      timespec ts_wait{static_cast<time_t>(seconds), 0};
      sigtimedwait(&signals, nullptr, &ts_wait);
    } else {
      int sig = 0;
      sigwait(&signals, &sig);
    }
    g_stop = true;
  });
  stopper.join();
  for (auto& t : ts) t.join();
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "{\"live_acked\":%llu,\"seconds\":%.2f,\"rate\":%.1f,\"retries\":%llu,\"failed\":%llu}\n",
      static_cast<unsigned long long>(ledger.acked()), secs,
      static_cast<double>(ledger.acked()) / secs, static_cast<unsigned long long>(g_retries.load()),
      static_cast<unsigned long long>(g_failed.load()));
  return g_failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (argc >= 2) a.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (key.rfind("--", 0) != 0) break;
    a.kv[key.substr(2)] = argv[i + 1];
  }
  if (a.mode == "accounts") return run_accounts(a);
  if ((a.mode == "backlog" || a.mode == "live") && a.str("ledger").empty()) a.mode.clear();
  if (a.mode == "backlog") return run_backlog(a);
  if (a.mode == "live") return run_live(a);
  std::fputs("usage: outage_loader accounts|backlog|live --port P ... (see the source header)\n",
             stderr);
  return 2;
}
