#pragma once

#include <atomic>
#include <vector>

#include "common/clock.h"
#include "common/logger.h"
#include "ingest/event_normaliser.h"
#include "ingest/event_stamp.h"
#include "ingest/http_message.h"
#include "ingest/ingest_metrics.h"
#include "ingest/ingest_options.h"
#include "ingest/ingest_store.h"
#include "ingest/quota_refusal_log.h"
#include "ingest/rate_limiter.h"

namespace spillway::ingest {

// Success body style: Segment routes answer {"success":true,...}, Track API routes {}.
enum class ResponseStyle { kSegment, kTrackApi };

// Turns the prepared events of one authenticated request into one queue append and answers
// when its commit returned: 200 only after the commit holding every event returned OK, else
// the mapped error (400/429/503 + Retry-After). Shared by every ingest route family.
// Thread-safe: called from io threads; completions run on the writer thread and only hand the
// response to the Responder (which posts it to the connection's strand). Borrows everything.
class IngestService {
 public:
  IngestService(IngestStore& store, const IngestOptions& options, const Clock& clock,
                Logger& logger);
  IngestService(const IngestService&) = delete;
  IngestService& operator=(const IngestService&) = delete;

  const IngestOptions& options() const { return options_; }
  IngestStore& store() { return store_; }
  // Request and event counters (the router and server count into them too).
  IngestMetrics& metrics() { return metrics_; }
  const IngestMetrics& metrics() const { return metrics_; }
  // Receive time and messageId source for the events of a request arriving now.
  EventStamp stamp();
  // Scale-down (POST /v1/node/drain): while set, every ingest request is answered 503
  // `draining` with Retry-After (clients retry and a load balancer sends them elsewhere) and
  // /readyz answers 503 `draining`. Delivery is not affected. Any thread.
  void set_draining(bool draining) { draining_.store(draining); }
  bool draining() const { return draining_.load(); }
  // Requests past the drain check whose append has not been answered yet.
  uint64_t appends_in_flight() const { return appends_in_flight_.load(); }

  // A request with exactly one event that is invalid is answered 400 and nothing is stored;
  // otherwise invalid events go to dead letters in the same commit as the valid ones.
  void commit(AccountId account, std::vector<PreparedEvent> events, const EventStamp& stamp,
              ResponseStyle style, const Responder& respond);

 private:
  void admit(AccountId account, std::vector<PreparedEvent> events, const EventStamp& stamp,
             ResponseStyle style, const Responder& respond);
  void count_stored(const queue::AppendResult& result, const std::vector<uint64_t>& sizes);

  IngestStore& store_;
  const IngestOptions& options_;
  const Clock& clock_;
  Logger& logger_;
  MessageIdSource ids_;
  RateLimiter rate_;
  LogThrottle refuse_log_{std::chrono::seconds(10)};
  IngestMetrics metrics_;
  QuotaRefusalLog quota_log_{logger_};
  std::atomic<bool> draining_{false};
  std::atomic<uint64_t> appends_in_flight_{0};
};

}  // namespace spillway::ingest
