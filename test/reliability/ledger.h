#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace spillway::test {

// How one request ended, from the client's side (RELIABILITY_PLAN §0).
enum class Outcome {
  kOk,             // 2xx: the event must be delivered or stored (I1)
  kFailed,         // a definite 4xx/503: spillway guarantees it stored nothing (I6)
  kIndeterminate,  // timeout, reset, killed server, 500: may or may not appear
};

// One event the ledger sent. Copyable value type.
struct Attempt {
  std::string id;  // messageId "<run>-<account>-p<producer>-<counter>", unique per run
  std::string account;
  int producer = 0;
  uint64_t counter = 0;  // per producer, in send order
  Outcome outcome = Outcome::kIndeterminate;
  int status = 0;      // HTTP status, 0 when none arrived
  double sent_at = 0;  // wall clock seconds
  double answered_at = 0;
};

// Every event any producer sent, with its outcome. Thread-safe; producers append whole
// requests at once.
class Ledger {
 public:
  void record(std::vector<Attempt> attempts);
  std::vector<Attempt> snapshot() const;
  size_t count(Outcome outcome) const;

 private:
  mutable std::mutex mu_;
  // Guarded by mu_.
  std::vector<Attempt> attempts_;
};

// The identity of one sequential producer: it sends one request at a time, so its send order
// is its commit order and (I3) must be its delivery order.
struct ProducerSpec {
  std::string run;      // run id, part of every messageId (keeps runs apart: I2)
  std::string account;  // account name
  std::string auth;     // Authorization header value
  int producer = 0;
  int batch_events = 5;  // events per POST /v1/batch
  size_t pad_bytes = 0;  // filler per event (fills disks and maps faster)
};

// Sends uniquely identified events over HTTP (POST /v1/batch) and classifies every request:
// 2xx ok, 4xx/503 failed, anything else (no answer, 500) indeterminate. One thread; the
// counter survives across servers so one producer can span crash cycles.
class LedgerProducer {
 public:
  LedgerProducer(ProducerSpec spec, Ledger& ledger) : spec_(std::move(spec)), ledger_(ledger) {}

  // Sends one batch to 127.0.0.1:port; returns the outcome (all events share it).
  Outcome send_once(int port, int timeout_ms = 5000);
  // Sends until `stop` is set; returns the number of requests sent.
  uint64_t run(int port, const std::atomic<bool>& stop, int pause_ms = 0);
  const ProducerSpec& spec() const { return spec_; }

 private:
  ProducerSpec spec_;
  Ledger& ledger_;
  uint64_t counter_ = 0;
};

double wall_now();
std::string basic_auth(const std::string& user);
const char* outcome_name(Outcome o);

}  // namespace spillway::test
