#include "replay/concurrency_limit.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "common/assert.h"

namespace spillway::replay {

ConcurrencyLimit::ConcurrencyLimit(ConcurrencyOptions options) : options_(options), limit_(1) {
  set_bounds(options_.min_limit, options_.max_limit);
  limit_ = options_.min_limit;
}

void ConcurrencyLimit::set_bounds(uint32_t min_limit, uint32_t max_limit) {
  options_.min_limit = std::max(1U, min_limit);
  options_.max_limit = std::max(options_.min_limit, max_limit);
  limit_ = std::clamp(limit_, options_.min_limit, options_.max_limit);
}

ConcurrencyLimit::Ticket ConcurrencyLimit::on_send() {
  ++in_flight_;
  return next_ticket_++;
}

void ConcurrencyLimit::finish() {
  SPW_ASSERT(in_flight_ > 0);
  --in_flight_;
}

size_t ConcurrencyLimit::size_class(uint64_t events) {
  return std::min<size_t>(kSizeClasses - 1, std::bit_width(std::max<uint64_t>(1, events)) - 1);
}

bool ConcurrencyLimit::latency_is_good(std::chrono::microseconds latency, size_t cls) const {
  const double own = baseline_us_[cls];
  if (own <= 0) return true;
  const double queue = std::max(own, baseline_us_[largest_class_]);
  return static_cast<double>(latency.count()) <= own + (options_.latency_factor - 1) * queue;
}

void ConcurrencyLimit::observe(std::chrono::microseconds latency, size_t cls) {
  const auto sample = static_cast<double>(std::max<int64_t>(1, latency.count()));
  double& baseline = baseline_us_[cls];
  // Min-biased: a faster sample is the new floor at once; a slower one moves it only slowly, so
  // a burst of slow responses is judged against the healthy latency, not absorbed into it.
  if (baseline <= 0 || sample < baseline) {
    baseline = sample;
  } else {
    baseline += options_.baseline_alpha * (sample - baseline);
  }
  largest_class_ = std::max(largest_class_, cls);
}

void ConcurrencyLimit::on_success(Ticket ticket, std::chrono::microseconds latency,
                                  uint64_t events) {
  const size_t cls = size_class(events);
  const bool good = latency_is_good(latency, cls);
  observe(latency, cls);
  settle(ticket, good, halved());
}

// Queueing measured against a cost model is a precise signal, not a loss: step down by one
// (as TCP Vegas does) instead of halving, so a serial downstream keeps a request waiting behind
// the one in service instead of idling through round trips at concurrency 1.
void ConcurrencyLimit::on_success(Ticket ticket, std::chrono::microseconds latency, uint64_t events,
                                  std::chrono::microseconds allowed) {
  observe(latency, size_class(events));
  settle(ticket, latency <= allowed, limit_ > options_.min_limit ? limit_ - 1 : limit_);
}

void ConcurrencyLimit::settle(Ticket ticket, bool good, uint32_t reduced) {
  finish();
  if (ticket < recovery_ticket_) return;
  if (!good) {
    decrease(reduced);
    return;
  }
  // One window is about one round trip at the current limit: grow by one per round trip.
  if (++good_in_window_ >= limit_) {
    limit_ = std::min(limit_ + 1, options_.max_limit);
    good_in_window_ = 0;
  }
}

void ConcurrencyLimit::on_failure(Ticket ticket) {
  finish();
  if (ticket < recovery_ticket_) return;
  decrease(halved());
}

uint32_t ConcurrencyLimit::halved() const {
  const double reduced = std::floor(limit_ * options_.decrease_factor);
  return std::max(options_.min_limit, static_cast<uint32_t>(std::max(0.0, reduced)));
}

void ConcurrencyLimit::decrease(uint32_t reduced) {
  limit_ = reduced;
  good_in_window_ = 0;
  recovery_ticket_ = next_ticket_;
}

void ConcurrencyLimit::reset() {
  limit_ = options_.min_limit;
  good_in_window_ = 0;
  recovery_ticket_ = next_ticket_;
}

std::chrono::microseconds ConcurrencyLimit::baseline() const {
  return std::chrono::microseconds{
      static_cast<int64_t>(std::llround(baseline_us_[largest_class_]))};
}

}  // namespace spillway::replay
