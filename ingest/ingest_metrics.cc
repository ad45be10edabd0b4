#include "ingest/ingest_metrics.h"

#include "ingest/http_message.h"

namespace spillway::ingest {

IngestMetrics::Slot IngestMetrics::make_slot(Route route) {
  auto n = static_cast<size_t>(kMaxStatus - kMinStatus + 1);
  return Slot{std::move(route), std::make_unique<std::atomic<uint64_t>[]>(n)};
}

void IngestMetrics::set_routes(const std::vector<Route>& routes) {
  routes_.clear();
  routes_.reserve(routes.size());
  for (const Route& r : routes) routes_.push_back(make_slot(r));
}

void IngestMetrics::count_response(size_t route, const HttpResponse& response) {
  const Slot& slot = route < routes_.size() ? routes_[route] : unrouted_;
  int status = response.status;
  if (status < kMinStatus || status > kMaxStatus) status = 500;
  slot.by_status[static_cast<size_t>(status - kMinStatus)].fetch_add(1, std::memory_order_relaxed);
  // A 404 for an unknown path is not a rejected ingest request.
  bool rejected = status >= 400 && slot.route.kind == RouteKind::kIngest &&
                  !(route == kUnrouted && status == 404);
  if (!rejected) return;
  std::string code =
      response.error_code.empty() ? "http_" + std::to_string(status) : response.error_code;
  std::lock_guard<std::mutex> lock(mu_);
  rejections_[code] += 1;
}

void IngestMetrics::observe_ingest_latency(size_t route, double seconds) {
  if (route >= routes_.size() || routes_[route].route.kind != RouteKind::kIngest) return;
  ingest_latency_.observe(seconds);
}

void IngestMetrics::count_stored(uint64_t events, uint64_t bytes, uint64_t duplicates,
                                 uint64_t invalid) {
  events_.fetch_add(events, std::memory_order_relaxed);
  bytes_.fetch_add(bytes, std::memory_order_relaxed);
  duplicates_.fetch_add(duplicates, std::memory_order_relaxed);
  invalid_.fetch_add(invalid, std::memory_order_relaxed);
}

void IngestMetrics::append_counts(const Slot& slot, std::vector<RequestCount>& out) const {
  for (int s = kMinStatus; s <= kMaxStatus; ++s) {
    uint64_t n =
        slot.by_status[static_cast<size_t>(s - kMinStatus)].load(std::memory_order_relaxed);
    if (n > 0) out.push_back({slot.route.method, slot.route.pattern, s, n});
  }
}

std::vector<IngestMetrics::RequestCount> IngestMetrics::requests() const {
  std::vector<RequestCount> out;
  for (const Slot& slot : routes_) append_counts(slot, out);
  append_counts(unrouted_, out);
  return out;
}

std::map<std::string, uint64_t> IngestMetrics::rejections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rejections_;
}

}  // namespace spillway::ingest
