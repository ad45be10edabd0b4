#include "replay/request_size.h"

#include <algorithm>
#include <cmath>

namespace spillway::replay {
namespace {

// Before the first sample: small enough that a slow downstream answers the first request
// quickly, large enough to measure something.
constexpr double kInitialEvents = 100;
// Below this spread of request sizes (coefficient of variation) the sums cannot separate the
// fixed part from the per-event part; the fixed part then keeps its last estimate.
constexpr double kMinSpread = 0.05;
// Sizes alternate by this fraction around the chosen one, so the sizes always spread enough to
// tell the fixed part from the per-event part (the mean size is unchanged).
constexpr double kDither = 0.15;
// Every kProbeEvery-th size is kProbe of the chosen one: dithering alone spreads the sizes
// too little for timing noise (a loaded host, answers observed late), which bends the fitted
// slope and makes the fixed part read 4-6x too high for seconds; a wider spread pins the slope.
constexpr uint64_t kProbeEvery = 8;
constexpr double kProbe = 0.5;
// The efficiency floor uses the fixed part minus kFloorConfidence standard errors of its
// estimate: the floor is about 30 a / b (efficiency 0.97), so a fixed part misread by noise
// (19-31 ms for a true 5 ms in one drill) made requests of 2-3x the target's size for
// seconds, and live events waited behind them. A fixed part that is large for sure still
// raises the size.
constexpr double kFloorConfidence = 2.0;
constexpr double kMaxGrowth = 1.25;
// Until the size first stops growing at that limit (it reached the model's choice), it may
// double per sample instead, as TCP's slow start does: at 1.25x from the first request's 100
// events it took 11 samples to reach 1,250 (250 ms at 5,000 events/s), about the first second
// of a drain on the capacity matrix, while the median account catches up at 2-5 s there. An
// expensive sample (shrink_to) ends it; failures do not (a drain usually starts against a
// downstream that is down, and failures carry no sample, so growth waits for successes anyway).
constexpr double kStartGrowth = 2.0;
// The model is stale when the smoothed relative error of its predictions exceeds this (the
// noise of a steady downstream stays well below); then the old samples are dropped. Without
// it, samples from before a speed change and after it, at different sizes, make a false slope
// and a false fixed part for many requests.
// A single odd sample moves the smoothed error by at most kDriftAlpha * kMaxError, so it takes
// three consistent ones (a real change of speed) to drop the old samples.
constexpr double kDriftAlpha = 0.1;
constexpr double kDriftLimit = 0.2;
constexpr double kMaxError = 1.0;
// A request measured at less than this fraction of its modelled cost, or more than its
// inverse, is an artifact of how completions were observed (two answers handled back to back,
// a small request charged with the wait for a large one), not the downstream's speed: the
// downstream did not do the work in a quarter of the time. Such samples are skipped once the
// model has kTrustedSamples, unless they keep coming (kImplausibleRun).
constexpr double kImplausible = 0.25;
constexpr uint64_t kTrustedSamples = 8;
// So many implausible samples in a row are a downstream that did change speed that much.
constexpr uint32_t kImplausibleRun = 3;

}  // namespace

RequestSize::RequestSize(RequestSizeOptions options) : options_(options), events_(0) {
  options_.min_events = std::max(1U, options_.min_events);
  options_.max_events = std::max(options_.min_events, options_.max_events);
  choose();
}

void RequestSize::set_max_events(uint32_t max_events) {
  options_.max_events = std::max(options_.min_events, max_events);
  choose();
}

// The downstream serves what it is given; when requests overlap, the time a request added is
// from the later of its send and the previous completion (for a downstream that works on one
// request at a time, exactly its service time).
double RequestSize::measured_ms(TimePoint sent, TimePoint done) {
  const TimePoint start = std::max(sent, last_done_);
  last_done_ = std::max(last_done_, done);
  return std::chrono::duration<double, std::milli>(done - std::min(done, start)).count();
}

void RequestSize::on_failure(TimePoint sent, TimePoint done) { (void)measured_ms(sent, done); }

void RequestSize::on_success(uint64_t events, TimePoint sent, TimePoint done) {
  const double y = measured_ms(sent, done);
  // Requests of less than half the size (live events only) are not samples: a few events say
  // little about the per-event cost, and such a request, sent behind a full one, is the one
  // charged with that one's service when the two answers are handled out of order.
  if (events == 0 || (samples_ >= kTrustedSamples && 5 * events < 2 * base_)) return;
  const double x = static_cast<double>(events);
  const double predicted = cost_ms(events);
  const bool odd = y < kImplausible * predicted || y > predicted / kImplausible;
  if (samples_ >= kTrustedSamples && odd && ++implausible_ < kImplausibleRun) {
    // Not a sample yet, but a request that cost four times its model may be a downstream that
    // slowed down: until the model agrees, requests are no larger than this one's pace allows
    // for the target. Growth after it is limited (choose), so an artifact costs a short dip;
    // a real slowdown does not fill the downstream's queue with requests of seconds each.
    if (y > predicted) shrink_to(x * static_cast<double>(options_.target.count()) / y);
    return;
  }
  implausible_ = 0;
  double keep = samples_ == 0 ? 0.0 : 1.0 - options_.alpha;
  if (samples_ > 0 && stale(x, y)) keep = 0;
  s0_ = keep * s0_ + 1;
  sx_ = keep * sx_ + x;
  sy_ = keep * sy_ + y;
  sxx_ = keep * sxx_ + x * x;
  sxy_ = keep * sxy_ + x * y;
  syy_ = keep * syy_ + y * y;
  ++samples_;
  fit();
  choose();
}

void RequestSize::shrink_to(double events) {
  const auto lo = static_cast<double>(options_.min_events);
  const auto n = static_cast<uint32_t>(std::llround(std::max(lo, events)));
  starting_ = false;
  base_ = std::min(base_, n);
  events_ = std::min(events_, n);
}

bool RequestSize::stale(double x, double y) {
  const double predicted = std::max(1e-3, a_ms_ + b_ms_ * x);
  const double error = std::clamp((y - predicted) / predicted, -kMaxError, kMaxError);
  drift_ += kDriftAlpha * (error - drift_);
  if (std::abs(drift_) <= kDriftLimit) return false;
  drift_ = 0;
  return true;
}

// Least squares of cost against events over the weighted sums. Costs are never negative and
// more events never cost less: a fit with a < 0 becomes the fit through the origin (a = 0).
// With too few distinct sizes (just after a restart) the fixed part keeps its last estimate,
// at most half the mean cost, and b is what the mean cost leaves per event.
void RequestSize::fit() {
  const double mx = sx_ / s0_;
  const double my = sy_ / s0_;
  const double vxx = sxx_ / s0_ - mx * mx;
  const double vxy = sxy_ / s0_ - mx * my;
  if (vxx > kMinSpread * kMinSpread * mx * mx) {
    const double b = vxy / vxx;
    const double a = my - b * mx;
    if (b > 0 && a >= 0) {
      a_ms_ = a;
      b_ms_ = b;
      // Standard error of the intercept, with s0 (about 1 / alpha) as the number of samples.
      const double residual = std::max(0.0, syy_ / s0_ - my * my - b * vxy);
      a_error_ms_ = std::sqrt(residual / s0_ * (1.0 + mx * mx / vxx));
      return;
    }
    if (sxy_ > 0) {
      a_ms_ = 0;
      a_error_ms_ = 0;
      b_ms_ = sxy_ / sxx_;
      return;
    }
  }
  a_ms_ = std::clamp(a_ms_, 0.0, 0.5 * my);
  b_ms_ = std::max(1e-6, (my - a_ms_) / std::max(1.0, mx));
  a_error_ms_ = a_ms_;  // a guess, not a fit: the efficiency floor does not act on it
}

void RequestSize::choose() {
  const auto lo = static_cast<double>(options_.min_events);
  const auto hi = static_cast<double>(options_.max_events);
  if (!adaptive()) {
    events_ = base_ = options_.max_events;
    return;
  }
  if (samples_ == 0) {
    events_ = base_ = static_cast<uint32_t>(std::clamp(kInitialEvents, lo, hi));
    return;
  }
  const auto target = static_cast<double>(options_.target.count());
  const double for_target = (target - a_ms_) / b_ms_;
  // Smallest n with n / (a + b n) >= e * R, R the rate at max_events:
  // n >= e R a / (1 - e R b); when the denominator is not positive only max_events reaches it.
  const double sure_a = std::max(0.0, a_ms_ - kFloorConfidence * a_error_ms_);
  const double rate_hi = hi / (sure_a + b_ms_ * hi);
  const double er = options_.efficiency * rate_hi;
  const double denom = 1.0 - er * b_ms_;
  const double efficient = denom > 0 ? er * sure_a / denom : hi;
  double base = std::max(for_target, efficient);
  // Shrinks at once, grows by at most kMaxGrowth per sample: a fit from the few samples left
  // after a reset (a speed change) can put the slope near zero and ask for the upper bound.
  if (base_ > 0) {
    const double most = (starting_ ? kStartGrowth : kMaxGrowth) * static_cast<double>(base_);
    if (base < most) starting_ = false;
    base = std::min(base, most);
  }
  base_ = static_cast<uint32_t>(std::llround(std::clamp(base, lo, hi)));
  double spread = samples_ % 2 == 0 ? 1.0 + kDither : 1.0 - kDither;
  if (samples_ % kProbeEvery == kProbeEvery - 1) spread = kProbe;
  events_ = static_cast<uint32_t>(std::llround(std::clamp(base * spread, lo, hi)));
}

}  // namespace spillway::replay
