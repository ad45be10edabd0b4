#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/histogram.h"

namespace spillway::ingest {

struct HttpResponse;

// Which family a route belongs to: error answers of ingest routes count as rejections.
enum class RouteKind { kIngest, kOperations };

// Counters of the HTTP front end and the ingest path, for GET /metrics: responses per route
// and status, rejected ingest requests by error code, and stored events, bytes, duplicates
// and events dead-lettered at ingest. Owned by IngestService; the Router and HttpServer
// borrow it. set_routes() runs during wiring (one thread, before serving); every other
// method is thread-safe (relaxed atomics; the rejection map takes a mutex, off the 2xx path).
class IngestMetrics {
 public:
  // Route slot for responses sent before routing (malformed request, header too large) or
  // for paths no route matches.
  static constexpr size_t kUnrouted = static_cast<size_t>(-1);

  struct Route {
    std::string method;
    std::string pattern;
    RouteKind kind = RouteKind::kOperations;
  };
  IngestMetrics() = default;
  IngestMetrics(const IngestMetrics&) = delete;
  IngestMetrics& operator=(const IngestMetrics&) = delete;

  void set_routes(const std::vector<Route>& routes);
  // Counts one response of route `route` (index into set_routes, or kUnrouted).
  void count_response(size_t route, const HttpResponse& response);
  // Counts the outcome of one committed append.
  void count_stored(uint64_t events, uint64_t bytes, uint64_t duplicates, uint64_t invalid);
  // Seconds an ingest route took from dispatch (the request fully read) to its response,
  // which for a stored event includes the wait for the commit. Operations routes are not
  // observed: a slow backlog query must not hide in the ingest latency.
  void observe_ingest_latency(size_t route, double seconds);
  HistogramCounts ingest_latency() const { return ingest_latency_.snapshot(); }

  struct RequestCount {
    std::string method;  // "" for unrouted
    std::string route;   // the pattern, or "unrouted"
    int status = 0;
    uint64_t count = 0;
  };
  // Non-zero (route, status) pairs, in route order.
  std::vector<RequestCount> requests() const;
  // Rejected ingest requests by error code ("invalid_json", "unauthorized", "store_full"...).
  std::map<std::string, uint64_t> rejections() const;
  uint64_t events() const { return events_.load(std::memory_order_relaxed); }
  uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  uint64_t duplicates() const { return duplicates_.load(std::memory_order_relaxed); }
  uint64_t invalid_events() const { return invalid_.load(std::memory_order_relaxed); }

 private:
  static constexpr int kMinStatus = 100;
  static constexpr int kMaxStatus = 599;
  struct Slot {
    Route route;
    std::unique_ptr<std::atomic<uint64_t>[]> by_status;
  };
  static Slot make_slot(Route route);
  void append_counts(const Slot& slot, std::vector<RequestCount>& out) const;

  std::vector<Slot> routes_;
  Slot unrouted_ = make_slot({"", "unrouted", RouteKind::kIngest});
  std::atomic<uint64_t> events_{0}, bytes_{0}, duplicates_{0}, invalid_{0};
  Histogram ingest_latency_{Histogram::latency_seconds()};
  mutable std::mutex mu_;
  // Guarded by mu_. Keys are the fixed error codes of ingest/responses.h (bounded set).
  std::map<std::string, uint64_t> rejections_;
};

}  // namespace spillway::ingest
