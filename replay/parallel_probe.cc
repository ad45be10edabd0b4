#include "replay/parallel_probe.h"

#include <algorithm>

namespace spillway::replay {

ParallelProbe::ParallelProbe(ParallelProbeOptions options)
    : options_(options), interval_(options.interval) {}

bool ParallelProbe::add(uint64_t events, TimePoint done) {
  if (window_.completions == 0) {
    window_.first = done;
  } else {
    window_.events += events;
  }
  window_.last = done;
  window_.completions += 1;
  // More in flight, smaller gain to tell from noise: the window grows with k.
  const uint32_t needed = std::max(options_.window_requests, 4 * probed_from_);
  return window_.completions > needed && window_.last - window_.first >= options_.window_min;
}

double ParallelProbe::rate() const {
  const double seconds = std::chrono::duration<double>(window_.last - window_.first).count();
  return seconds > 0 ? static_cast<double>(window_.events) / seconds : 0.0;
}

void ParallelProbe::wait(TimePoint now, bool back_off) {
  phase_ = Phase::kWait;
  window_ = {};
  if (back_off) interval_ = std::min(2 * interval_, options_.max_interval);
  next_at_ = now + interval_;
}

void ParallelProbe::on_full(uint64_t ticket, uint64_t events, TimePoint done, uint32_t limit,
                            uint64_t next_ticket) {
  if (!started_) {
    started_ = true;
    next_at_ = done + interval_;
  }
  switch (phase_) {
    case Phase::kWait:
      if (done < next_at_) return;
      probed_from_ = std::max(limit, floor_);
      phase_ = Phase::kBase;
      window_ = {};
      (void)add(events, done);
      return;
    case Phase::kBase:
      if (!add(events, done)) return;
      base_rate_ = rate();
      break;
    case Phase::kProbe: {
      if (ticket < probe_ticket_ || !add(events, done)) return;
      const double gain = base_rate_ > 0 ? rate() / base_rate_ - 1 : 0;
      if (gain < options_.min_gain / probed_from_) {
        floor_ = kept_floor_;
        wait(done, true);
        return;
      }
      // It paid: keep it, and try one more at once (the measurement just taken is the base).
      base_rate_ = rate();
      interval_ = options_.interval;
      break;
    }
  }
  kept_floor_ = floor_;
  probed_from_ = std::max(limit, floor_);
  floor_ = probed_from_ + 1;
  probe_ticket_ = next_ticket;
  window_ = {};
  phase_ = Phase::kProbe;
}

void ParallelProbe::interrupt(TimePoint now) {
  if (phase_ == Phase::kWait) return;
  floor_ = kept_floor_;
  wait(now, false);
}

void ParallelProbe::on_failure(TimePoint now) {
  floor_ = kept_floor_ = 1;
  interval_ = options_.interval;
  phase_ = Phase::kWait;
  window_ = {};
  next_at_ = now + interval_;
}

}  // namespace spillway::replay
