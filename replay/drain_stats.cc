#include "replay/drain_stats.h"

#include <cmath>

namespace spillway::replay {
namespace {
constexpr double kTauSeconds = 10.0;

double decayed(double rate, DrainStats::TimePoint last, DrainStats::TimePoint now) {
  double dt = std::chrono::duration<double>(now - last).count();
  return dt <= 0 ? rate : rate * std::exp(-dt / kTauSeconds);
}
}  // namespace

void DrainStats::delivered(AccountId account, uint64_t events, TimePoint now) {
  delivered_total_ += events;
  delivered_this_second_ += events;
  PerAccount& a = accounts_[account];
  a.rate = decayed(a.rate, a.last, now) + static_cast<double>(events) / kTauSeconds;
  a.last = now;
  a.last_error.clear();
}

void DrainStats::failed(AccountId account, std::string error) {
  accounts_[account].last_error = std::move(error);
}

void DrainStats::tick(uint64_t ingested_total, TimePoint) {
  Second s;
  s.delivered = delivered_this_second_;
  s.ingested = have_ingested_ ? ingested_total - last_ingested_total_ : 0;
  last_ingested_total_ = ingested_total;
  have_ingested_ = true;
  delivered_this_second_ = 0;
  ring_[head_] = s;
  head_ = (head_ + 1) % ring_.size();
  if (filled_ < ring_.size()) ++filled_;
}

double DrainStats::window_rate(uint64_t Second::*field) const {
  if (filled_ == 0) return 0;
  uint64_t sum = 0;
  for (size_t i = 0; i < filled_; ++i) sum += ring_[i].*field;
  return static_cast<double>(sum) / static_cast<double>(filled_);
}

double DrainStats::drain_rate() const { return window_rate(&Second::delivered); }
double DrainStats::ingest_rate() const { return window_rate(&Second::ingested); }

double DrainStats::account_rate(AccountId account, TimePoint now) const {
  auto it = accounts_.find(account);
  return it == accounts_.end() ? 0 : decayed(it->second.rate, it->second.last, now);
}

const std::string* DrainStats::last_error(AccountId account) const {
  auto it = accounts_.find(account);
  if (it == accounts_.end() || it->second.last_error.empty()) return nullptr;
  return &it->second.last_error;
}

}  // namespace spillway::replay
