#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "test/ingest/server_process.h"
#include "test/reliability/checker.h"
#include "test/reliability/ledger.h"
#include "test/support/fake_downstream.h"
#include "test/support/temp_dir.h"

namespace spillway::test {

// The reliability fixture: one data dir, the in-process fake downstream (payloads kept, so the
// checker sees each delivery's messageId), the real server (restartable, optionally under a
// wrapper such as strace), accounts with sequential ledger producers, and the checker.
class Cluster {
 public:
  // `server_args` are extra `spillway serve` flags; the sink is the fake downstream.
  explicit Cluster(std::vector<std::string> server_args = {}, std::string data_dir = "");
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Starts a server (fresh process, same data dir); false with the log printed on failure.
  bool start(std::vector<std::string> wrapper = {});
  void kill9();
  int stop();
  ServerProcess& server() { return *server_; }
  int port() const { return port_; }
  FakeDownstream& downstream() { return downstream_; }
  Ledger& ledger() { return ledger_; }
  const std::string& data_dir() const { return data_; }
  const std::string& run_id() const { return run_; }

  // Creates `n` accounts (acct0..) with `producers_each` sequential producers each.
  void add_accounts(int n, int producers_each, int batch_events = 5, size_t pad_bytes = 0);
  // Runs every producer on its own thread against the current server until stop_producers().
  void start_producers(int pause_ms = 0);
  void stop_producers();
  std::vector<std::unique_ptr<LedgerProducer>>& producers() { return producers_; }

  // Server must be dead: store snapshot + ledger + deliveries -> verdicts.
  CheckReport check(bool allow_redelivery_without_crash = false);
  // Waits (server running) until every acked event reached the downstream. I8.
  bool wait_drained(std::chrono::milliseconds timeout);
  CheckInput input_without_store() const;

  // Admin and plain HTTP helpers against the current server.
  int admin_post(const std::string& path, const std::string& body = "{}");
  std::string get(const std::string& path, int* status = nullptr);
  // Server stderr of every start so far (current one last).
  std::string logs() const;
  // The last `n` lines of the current server's stderr, without repeated "append refused"
  // lines (for failure messages).
  std::string log_tail(size_t n = 40) const;

 private:
  void wait_unlocked() const;

  TempDir dir_;
  std::string data_;
  std::string run_;
  std::vector<std::string> args_;
  FakeDownstream downstream_;
  std::unique_ptr<ServerProcess> server_;
  std::vector<std::string> old_logs_;
  int port_ = 0;
  Ledger ledger_;
  std::vector<double> restarts_;
  std::vector<std::unique_ptr<LedgerProducer>> producers_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
};

// Integer from the environment (test size knobs), or `fallback`.
long env_int(const char* name, long fallback);

}  // namespace spillway::test
