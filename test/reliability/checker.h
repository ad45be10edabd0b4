#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "test/reliability/ledger.h"
#include "test/support/fake_delivery_log.h"

namespace spillway::test {

// One event found in the store after the server is gone. Copyable value type.
struct StoredEvent {
  std::string account;
  uint64_t seq = 0;
  bool dead = false;
  std::string id;  // messageId
};

// The final store check: the data dir opened with queue::Wal after the server died.
struct StoreSnapshot {
  bool opened = false;
  std::string open_error;
  std::vector<std::string> problems;      // check_store: CRCs, counters vs scan (I5)
  std::vector<StoredEvent> events;        // queued events and dead letters
  std::map<std::string, uint64_t> depth;  // per-account depth counter (dashboards)
  std::map<std::string, bool> paused;     // per-account pause flag
};

// Opens DATA_DIR (the server must be dead), walks it with queue::check_store and reads every
// queued event and dead letter. Never throws; failures land in `opened`/`open_error`.
StoreSnapshot snapshot_store(const std::string& data_dir);

// What the checker needs besides the ledger.
struct CheckInput {
  std::vector<Attempt> attempts;
  std::vector<FakeDelivery> deliveries;  // in arrival order, duplicates included
  std::vector<FakeDelivery> ambiguous;   // body received, no answer sent
  StoreSnapshot store;
  // Instants (wall s) from which a restarted server could deliver again: a duplicate of one
  // (account, seq) is allowed across one of them (ack lost in the crash, I4).
  std::vector<double> restarts;
  // How long after a restart a request of the killed process may still be recorded (it was in
  // the downstream's socket buffer or admission queue). Keep the downstream's delays below it.
  double in_flight_slack_s = 1.0;
  // (account, seq) pairs the drainer may legitimately re-send without a crash: retries after
  // 5xx/timeouts the downstream still recorded (e.g. mode error never records; trickle does).
  bool allow_redelivery_without_crash = false;
};

// One invariant's verdict.
struct Verdict {
  std::string name;  // "I1 no lost acknowledged events"
  bool passed = true;
  std::string detail;  // counts, and the first offending ids on failure
};

struct CheckReport {
  std::vector<Verdict> verdicts;
  uint64_t acked = 0, failed = 0, indeterminate = 0, recovered = 0;
  uint64_t delivered_unique = 0, duplicates = 0, stored = 0;
  bool ok() const;
  // "I1 ...: ok (...)" per line, then "N passed, N failed".
  std::string text() const;
};

// Computes I1-I6 from the ledger, the downstream record and the store:
// I1 acked - delivered - stored = {}; I2 (delivered u stored) - attempted = {};
// I3 per account, first deliveries in seq order, no queued event older than a delivered one,
//    and per producer acked events in send order; I4 a duplicate (account, seq) only across a
//    restart, in a re-send of the same batch id (a retry after no answer), for an ambiguous
//    delivery or after the server logged an unrecorded ack, and never one id at two seqs; I5 the
//    store walks clean, depth counters equal the scan; I6 no failed (4xx/503) event stored or
//    delivered.
CheckReport check_invariants(const CheckInput& in);

// I8: true when every acked event was delivered (and nothing is left queued).
bool fully_drained(const CheckInput& in);

}  // namespace spillway::test
