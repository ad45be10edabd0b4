#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/result.h"
#include "test/support/fake_delivery_log.h"
#include "test/support/fake_script.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace spillway::test {

struct FakeDownstreamOptions {
  std::string host = "127.0.0.1";
  int port = 0;                  // deliveries listener; 0 = pick a free port
  int control_port = -1;         // control listener (POST /control, GET /stats, ...); -1 = none
  std::string delivery_log;      // CSV "timestamp,account,seq,enqueue_time"; "" = none
  bool log_message_ids = false;  // add a "message_id" column to the CSV (drills)
  bool log_replay = false;       // add "replay_id,original_seq" columns to the CSV (drills)
  bool keep_payloads = true;     // keep each event's JSON in memory (tests); off for long drills
  size_t threads = 64;           // worker threads per listener; each hanging request holds one
  int keep_alive_timeout_s = 2;
  // Both set: the deliveries listener speaks https with this PEM certificate chain and key
  // (test/support/tls/); url() then starts with https://.
  std::string tls_cert;
  std::string tls_key;
  // With TLS: require a client certificate signed by this CA (mutual TLS).
  std::string tls_client_ca;
};

// A scriptable webhook receiver for tests, the reliability suite and the outage drill
// (cpp-httplib on loopback). Any POST to the deliveries listener is a batch in the format of
// docs/sink.md; the script (fake_script.h) decides the answer. Every accepted event is
// recorded, duplicates included. Lifecycle: construct -> start() -> stop() (the destructor
// stops). All public methods are thread-safe; handlers run on httplib's worker threads.
//
// Control API (control listener, JSON):
//   POST /control   fields of fake_script.h, plus "clear":true to drop the records;
//                   answers the script now in force
//   GET  /control   the script            GET /stats   counters (FakeStats) and the mode
//   GET  /deliveries, GET /ambiguous      NDJSON, one recorded event per line
//   POST /clear     drop the records and counters (the CSV is kept)
class FakeDownstream {
 public:
  explicit FakeDownstream(FakeDownstreamOptions options = {});
  ~FakeDownstream();
  FakeDownstream(const FakeDownstream&) = delete;
  FakeDownstream& operator=(const FakeDownstream&) = delete;

  // Binds the listeners and starts serving. Errors: kIoError (bind, CSV).
  Status start();
  void stop();

  int port() const;
  int control_port() const { return control_port_; }
  // "http://127.0.0.1:PORT/events" (https:// with a TLS certificate).
  std::string url() const;

  FakeScript script() const;
  // Takes effect for requests that arrive from now on; wakes hanging and trickling ones
  // (they close their connection). Switching to or from kDown closes or reopens the listener
  // on the same port.
  void set_script(const FakeScript& script);
  void set_mode(FakeMode mode);
  // The POST /control operation. Returns the script JSON, or kInvalidArgument.
  Result<std::string> control(std::string_view json);

  FakeStats stats() const { return log_.stats(); }
  std::string stats_json() const;
  std::vector<FakeDelivery> deliveries() const { return log_.accepted(); }
  std::vector<FakeDelivery> ambiguous() const { return log_.ambiguous(); }
  void clear() { log_.clear(); }
  // Waits until at least `n` distinct events were accepted. False on timeout.
  bool wait_for_unique(uint64_t n, std::chrono::milliseconds timeout) const;

 private:
  struct Admission {
    bool admitted = false;
    double wait_s = 0;
    int retry_after_s = 0;
  };

  Status start_data_locked();
  void stop_data_locked();
  Status start_control();
  void handle_delivery(const httplib::Request& req, httplib::Response& res);
  void accept(const httplib::Request& req, httplib::Response& res, const FakeScript& script,
              uint64_t generation);
  void record_ambiguous(const httplib::Request& req);
  void hang(const httplib::Request& req, uint64_t generation);
  void trickle(httplib::Response& res, std::chrono::milliseconds interval, uint64_t generation);
  Admission admit(size_t events, const FakeScript& script);
  // Waits until the script changes or `d` passes. True when the script changed.
  bool wait_changed(uint64_t generation, std::chrono::duration<double> d);

  const FakeDownstreamOptions options_;
  FakeDeliveryLog log_;
  int control_port_ = 0;

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;  // script changes and stop
  // Guarded by mu_.
  FakeScript script_;
  uint64_t generation_ = 0;
  int port_ = 0;
  std::vector<double> next_free_s_;  // capacity kDelay: when each server is free again (steady s)
  double tokens_ = -1;               // capacity kThrottle bucket; < 0 = not yet filled
  double tokens_at_s_ = 0;

  // Serializes start/stop/set_script: the listener objects are touched under it only.
  std::mutex lifecycle_mu_;
  std::unique_ptr<httplib::Server> data_;
  std::thread data_thread_;
  std::unique_ptr<httplib::Server> control_;
  std::thread control_thread_;
  bool running_ = false;
};

}  // namespace spillway::test
