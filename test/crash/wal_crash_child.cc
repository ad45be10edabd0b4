// Child process of the WAL crash test. Appends random batches to ten accounts from four
// threads and settles slices of them; after each commit it reports on stdout, one write(2) per
// line, what was acknowledged:
//   A <account> <seq> <crc32c of payload>   an appended event the writer acknowledged
//   P <account> <seq>                       a settle about to be submitted (may or may not commit)
//   S <account> <seq>                       a settled (deleted) event the writer acknowledged
//   K <account> <seq> <key> <ms>            an acknowledged event's idempotency key, and the
//                                           wall time (ms) before its append was submitted:
//                                           the index remembers it at least until ms + window
// The idempotency index seals every 256 keys in steps of 8 KiB, so kills land in the middle
// of seals, merges and deletions too; with a short WINDOW_MS, of expiry (whole runs dropped,
// merges dropping expired keys) as well.
// It runs until killed. Usage: wal_crash_child DATA_DIR SEED [WINDOW_MS]
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/crc32c.h"
#include "queue/wal.h"

using namespace spillway;
using namespace spillway::queue;

namespace {

void emit(const std::string& line) {
  ssize_t ignored = ::write(STDOUT_FILENO, line.data(), line.size());
  (void)ignored;
}

std::vector<AccountId> ensure_accounts(Wal& wal) {
  std::vector<AccountId> ids;
  for (int i = 0; i < 10; ++i) {
    std::string name = "crash" + std::to_string(i);
    if (auto rec = wal.accounts().find(name)) {
      ids.push_back(rec->id);
      continue;
    }
    std::promise<Result<AccountId>> p;
    wal.writer().create_account({name, {{KeyKind::kWriteKey, "key-" + name}}, 1},
                                [&p](Result<AccountId> r) { p.set_value(std::move(r)); });
    auto r = p.get_future().get();
    if (!r) {
      std::fprintf(stderr, "create failed: %s\n", r.status().to_string().c_str());
      std::_Exit(2);
    }
    ids.push_back(*r);
  }
  return ids;
}

void append_batch(Wal& wal, AccountId account, std::mt19937_64& rng) {
  AppendRequest req;
  req.account = account;
  req.received_ms = 1;
  int n = 1 + static_cast<int>(rng() % 20);
  for (int i = 0; i < n; ++i) {
    std::string payload = R"({"nonce":")" + std::to_string(rng()) + R"(","pad":")" +
                          std::string(rng() % 300, 'p') + "\"}";
    // Mostly fresh keys (the index grows), some repeats of recent ones (duplicates).
    std::string key;
    if (rng() % 4 != 0) key = "k" + std::to_string(rng() % 2 == 0 ? rng() : rng() % 1000);
    req.events.push_back({payload, key});
  }
  auto payloads = std::make_shared<std::vector<EventIn>>(req.events);
  std::string submitted_ms = std::to_string(SystemClock().wall_ms());
  std::promise<void> done;
  wal.writer().append(std::move(req), [&, payloads](Result<AppendResult> r) {
    if (r) {
      std::string lines;
      for (size_t i = 0; i < r->outcomes.size(); ++i) {
        if (r->outcomes[i].duplicate) continue;
        std::string seq = std::to_string(r->outcomes[i].seq.value);
        lines += "A " + std::to_string(account.value) + " " + seq + " " +
                 std::to_string(crc32c((*payloads)[i].payload)) + "\n";
        const std::string& key = (*payloads)[i].idempotency_key;
        if (!key.empty())
          lines += "K " + std::to_string(account.value) + " " + seq + " " + key + " " +
                   submitted_ms + "\n";
      }
      emit(lines);
    }
    done.set_value();
  });
  done.get_future().wait();
}

void settle_some(Wal& wal, AccountId account, std::mt19937_64& rng) {
  auto events = wal.reader().read(account, Seq{0}, 1 + rng() % 10, UINT64_MAX);
  if (!events || events->empty()) return;
  SettleRequest req{account, {}, {}};
  std::string intent;
  for (const auto& e : *events) {
    req.delivered.push_back(e.seq);
    intent += "P " + std::to_string(account.value) + " " + std::to_string(e.seq.value) + "\n";
  }
  // Announced first: a settle that commits just before the kill deletes events whose "S" line
  // never gets written, so the parent must know they may be gone.
  emit(intent);
  std::promise<void> done;
  wal.writer().settle(req, [&](Status s) {
    if (s.is_ok()) {
      std::string lines;
      for (Seq q : req.delivered) {
        lines += "S " + std::to_string(account.value) + " " + std::to_string(q.value) + "\n";
      }
      emit(lines);
    }
    done.set_value();
  });
  done.get_future().wait();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: wal_crash_child DATA_DIR SEED [WINDOW_MS]\n");
    return 2;
  }
  StderrLogger log(LogLevel::kWarn);
  SystemClock clock;
  WalOptions options;
  options.dir = argv[1];
  options.map_size = uint64_t{1} << 30;
  options.dedupe_seal_keys = 256;
  options.dedupe_step_bytes = 8192;
  if (argc == 4) {
    options.dedupe_window = std::chrono::milliseconds(std::stoll(argv[3]));
    options.dedupe_seal_interval = options.dedupe_window / 8;
  }
  auto wal = Wal::open(options, clock, log);
  if (!wal) {
    std::fprintf(stderr, "open failed: %s\n", wal.status().to_string().c_str());
    return 2;
  }
  std::vector<AccountId> ids = ensure_accounts(**wal);
  emit("READY\n");
  uint64_t seed = std::stoull(argv[2]);
  std::vector<std::thread> threads;
  // Each thread owns some accounts, so per-account appends are issued in order.
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(seed * 31 + t);
      for (;;) {
        size_t pick = t + 4 * (rng() % 3);
        AccountId a = ids[pick < ids.size() ? pick : t];
        if (rng() % 4 == 0)
          settle_some(**wal, a, rng);
        else
          append_batch(**wal, a, rng);
      }
    });
  }
  for (auto& t : threads) t.join();  // never: the parent kills us
  return 0;
}
