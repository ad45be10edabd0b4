#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace spillway::test {

// One event as the fake downstream received it. Copyable value type.
struct FakeDelivery {
  std::string account;
  uint64_t seq = 0;
  std::string batch_id;
  std::string idempotency_key;
  int64_t received_at_ms = 0;  // the event's enqueue time as sent by spillway
  double delivered_at = 0;     // wall clock, seconds since the epoch
  std::string event;           // the "event" value re-serialized (empty unless kept)
  std::string message_id;      // the event's "messageId" when it is a string, else ""
  uint64_t replay_id = 0;      // the envelope's replay_id (a replayed event), else 0
  uint64_t original_seq = 0;   // the envelope's original_seq (a replayed event), else 0
};

// Counters. Copyable value type; GET /stats returns them as JSON.
struct FakeStats {
  uint64_t requests = 0;
  uint64_t accepted_batches = 0;
  uint64_t accepted_events = 0;    // every accepted event, duplicates included
  uint64_t unique_events = 0;      // distinct (account, seq) accepted
  uint64_t duplicate_events = 0;   // accepted again with an (account, seq) seen before
  uint64_t rejected_batches = 0;   // 400 for reject_marker
  uint64_t malformed_batches = 0;  // 400 for a body that is not a batch
  uint64_t throttled = 0;          // 429 (mode throttle or capacity)
  uint64_t errors = 0;             // mode error
  uint64_t ambiguous_batches = 0;  // body read, no answer (reset_after_body, trickle)
  uint64_t ambiguous_events = 0;
  uint64_t hung = 0;
  uint64_t missing_idempotency_key = 0;  // key absent or different from batch_id
};

// Everything the fake downstream saw. Thread-safe. When a delivery log path is given, every
// accepted event is appended as "timestamp,account,seq,enqueue_time" (seconds, the format
// of fairsim.py analyze), flushed per batch; duplicates are written too. With message ids on,
// a fifth column "message_id" follows (fairsim ignores it; drills use it to prove zero loss).
// With replay columns on, "replay_id,original_seq" follow (empty for an event not replayed).
class FakeDeliveryLog {
 public:
  FakeDeliveryLog() = default;
  ~FakeDeliveryLog();
  FakeDeliveryLog(const FakeDeliveryLog&) = delete;
  FakeDeliveryLog& operator=(const FakeDeliveryLog&) = delete;

  // Errors: kIoError when the CSV cannot be created.
  Status open_csv(const std::string& path, bool with_message_id = false, bool with_replay = false);
  void set_keep_payloads(bool keep) { keep_payloads_ = keep; }
  bool keep_payloads() const { return keep_payloads_; }

  void record_accepted(std::vector<FakeDelivery> batch);
  void record_ambiguous(std::vector<FakeDelivery> batch);
  template <typename F>
  void count(F&& f) {
    std::lock_guard<std::mutex> lock(mu_);
    f(stats_);
  }

  FakeStats stats() const;
  std::vector<FakeDelivery> accepted() const;
  std::vector<FakeDelivery> ambiguous() const;
  // Drops the recorded deliveries and counters (not the CSV).
  void clear();

 private:
  bool keep_payloads_ = true;
  mutable std::mutex mu_;
  // Guarded by mu_.
  FakeStats stats_;
  std::vector<FakeDelivery> accepted_;
  std::vector<FakeDelivery> ambiguous_;
  std::set<std::pair<std::string, uint64_t>> seen_;
  std::FILE* csv_ = nullptr;
  bool csv_message_id_ = false;
  bool csv_replay_ = false;
};

}  // namespace spillway::test
