#pragma once

#include <chrono>
#include <cstdint>

namespace spillway::replay {

struct ParallelProbeOptions {
  // A measurement spans more than this many completions of full requests (and 4 per request in
  // flight: the gain to tell from noise shrinks as 1/k) and at least this long.
  uint32_t window_requests = 8;
  std::chrono::milliseconds window_min{1000};
  // One more request in flight is kept when the delivery rate rose by at least this share of
  // the gain a downstream with a free worker would give (1/k at k in flight). Default 0.5.
  double min_gain = 0.5;
  // The first probe waits this long; after one that did not pay, the next waits twice as long,
  // up to max_interval.
  std::chrono::milliseconds interval{5000};
  std::chrono::milliseconds max_interval{60000};
};

// Finds out whether the downstream serves requests side by side, by trying: from time to time
// it raises the floor under the in-flight limit to one more than the limit AIMD holds, and
// keeps it only if the delivery rate rose. Why a trial is needed: at steady state a serial
// downstream with k requests queued and a parallel one with k busy workers look the same to
// the drainer (each request takes k times the gap between completions), so the cost model
// reads a parallel downstream as a serial one, AIMD judges the latency of k > 2 as queueing and
// holds 2-3 in flight: 0.62 of C at 4 workers (README, "parallel downstream"). Only a change of
// k tells them apart: a serial downstream delivers no more with one more request in flight, a
// parallel one with a free worker delivers 1/k more. This is BBR's bandwidth probe, with the
// delivery rate measured over completions of full requests only (live events alone measure the
// traffic, not the downstream).
// A floor that paid holds until a request fails (then it is 1 again: an overloaded downstream
// is probed again from the start); latency never lowers it. A probe in progress is dropped when
// the drain stops being backlog-bound.
// Thread affinity: the drainer's strand; not thread-safe. Copyable value type.
class ParallelProbe {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit ParallelProbe(ParallelProbeOptions options = {});

  // The floor under the in-flight limit: AIMD does not step below it for latency. 1: none.
  uint32_t floor() const { return floor_; }
  bool probing() const { return phase_ == Phase::kProbe; }
  // The floor that paid (without the probe in progress).
  uint32_t kept_floor() const { return phase_ == Phase::kProbe ? kept_floor_ : floor_; }
  // A full request (its size set by the backlog, not by live events alone) sent with `ticket`
  // completed at `done`. `limit` is the in-flight limit now, `next_ticket` the ticket the next
  // send will get (requests sent from then on run under a new floor).
  void on_full(uint64_t ticket, uint64_t events, TimePoint done, uint32_t limit,
               uint64_t next_ticket);
  // The backlog no longer fills requests (a small request was built): a measurement in
  // progress would measure the traffic; it is dropped and the floor goes back to what it was.
  void interrupt(TimePoint now);
  // An error, timeout, 429 or circuit reset: back to no floor.
  void on_failure(TimePoint now);

 private:
  enum class Phase { kWait, kBase, kProbe };
  struct Window {
    uint32_t completions = 0;
    uint64_t events = 0;  // of every completion but the first (the rate's numerator)
    TimePoint first{};
    TimePoint last{};
  };
  // Adds a completion; true once the window is long enough.
  bool add(uint64_t events, TimePoint done);
  double rate() const;
  void wait(TimePoint now, bool back_off);

  ParallelProbeOptions options_;
  Phase phase_ = Phase::kWait;
  uint32_t floor_ = 1;
  uint32_t kept_floor_ = 1;  // the floor before the probe in progress
  uint32_t probed_from_ = 1;
  uint64_t probe_ticket_ = 0;  // completions of earlier tickets ran under the old floor
  double base_rate_ = 0;
  Window window_;
  std::chrono::milliseconds interval_;
  TimePoint next_at_{};
  bool started_ = false;
};

}  // namespace spillway::replay
