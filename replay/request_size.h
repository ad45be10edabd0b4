#pragma once

#include <chrono>
#include <cstdint>

namespace spillway::replay {

struct RequestSizeOptions {
  // What one request should cost the downstream, in ms; 0 = fixed size (every request is
  // max_events, the behaviour before issue 14). Default 250: on the outage drill at C = 5,000
  // events/s with 5 ms per request (bench/drill_matrix.py), 150 ms reached 93.9% of C and
  // catch-up p50 1.07x the ideal (real-time-again p50 just over 1.10x), 250 ms 96.1% and
  // 1.04x. Lower makes the live events of caught-up accounts wait less; higher shrinks the
  // fixed per-request share and the gaps between round trips.
  std::chrono::milliseconds target{250};
  // Bounds. Default 50 and 5,000 (ReplayOptions::max_batch_events, --drain-batch-events).
  uint32_t min_events = 50;
  uint32_t max_events = 5000;
  // The size is at least the smallest one whose throughput, n / (a + b n), is within this
  // fraction of what max_events would reach. Default 0.97 (the fixed part costs <= 3% more).
  double efficiency = 0.97;
  // Weight of the newest sample in the cost model's sums. Default 1/16: the model forgets
  // in about 16 requests, a few seconds at the default target.
  double alpha = 1.0 / 16;
};

// Chooses the number of events of the next downstream request from a learned cost model:
// a request of n events costs the downstream about a + b·n (a fixed part: connection, parse,
// commit; b: per event). The model is a least-squares fit over exponentially weighted sums
// of (n, cost) of acknowledged requests. The cost of a request is the time the downstream
// spent on it alone: its completion minus the later of its send and the previous completion,
// so requests waiting in the downstream's queue behind others do not count their wait.
// The size is (target - a) / b, raised to the smallest efficient size, clamped to the bounds.
// Against timing noise (a loaded host handles answers late, which bends the fitted slope and
// moves the fixed part): every 8th request is half the size so the slope is measured; the
// efficient size uses the fixed part minus two standard errors, so only a fixed part that is
// large for sure raises requests above the target; and the size grows by at most 1.25x per
// sample (it shrinks at once), 2x per sample from the first request until it first reaches the
// model's size (slow start).
// How it composes with ConcurrencyLimit (AIMD): this controller owns the size and looks at
// cost, which queueing does not change; AIMD owns the number in flight and looks at errors and
// queueing. Once the model has a few samples the drainer judges each latency for AIMD against
// it (good while a request waited at most ~1.5 requests of the current size), so a smaller
// size never reads as congestion, more requests in flight never read as a slower downstream
// here, and queueing cannot creep into AIMD's idea of normal. Neither undoes the other.
// Thread affinity: the drainer's strand; not thread-safe. Copyable value type.
class RequestSize {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit RequestSize(RequestSizeOptions options = {});

  // Events for the next request.
  uint32_t events() const { return events_; }
  // A request of `events` events sent at `sent` was acknowledged at `done`. Once the model has
  // a few samples, requests of less than 0.4 of the chosen size (live events; probes are half)
  // only advance the clock.
  void on_success(uint64_t events, TimePoint sent, TimePoint done);
  // A request sent at `sent` failed at `done`: no sample, but the downstream was busy with it.
  void on_failure(TimePoint sent, TimePoint done);
  void set_max_events(uint32_t max_events);

  bool adaptive() const { return options_.target.count() > 0; }
  // The model: fixed ms and per-event µs; both 0 until the first sample.
  double fixed_ms() const { return a_ms_; }
  double per_event_us() const { return b_ms_ * 1000.0; }
  uint64_t samples() const { return samples_; }
  // What a request of n events costs the downstream by the model (a + b n), in ms.
  double cost_ms(uint64_t events) const { return a_ms_ + b_ms_ * static_cast<double>(events); }
  const RequestSizeOptions& options() const { return options_; }

 private:
  double measured_ms(TimePoint sent, TimePoint done);
  bool stale(double x, double y);
  void shrink_to(double events);
  void fit();
  void choose();

  RequestSizeOptions options_;
  uint32_t events_;
  uint32_t base_ = 0;  // the size chosen before dithering and probing
  TimePoint last_done_{};
  // Exponentially weighted sums of 1, n, cost, n², n·cost, cost².
  double s0_ = 0, sx_ = 0, sy_ = 0, sxx_ = 0, sxy_ = 0, syy_ = 0;
  double a_ms_ = 0, b_ms_ = 0;
  double a_error_ms_ = 0;     // standard error of a_ms_ (0 when not fitted by least squares)
  double drift_ = 0;          // smoothed relative error of the model's predictions
  uint32_t implausible_ = 0;  // implausibly cheap samples in a row (skipped)
  bool starting_ = true;      // slow start: growing 2x per sample until the model's size
  uint64_t samples_ = 0;
};

}  // namespace spillway::replay
