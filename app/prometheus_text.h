#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/histogram.h"

namespace spillway::app {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Writes the Prometheus text exposition format (version 0.0.4): one `# HELP` and `# TYPE`
// per family, then its samples. Callers write every sample of a family right after its
// header (the format forbids interleaving). Label values are escaped; metric and label names
// are the caller's constants. Not thread-safe; one per scrape.
class PrometheusText {
 public:
  // Labels written first on every sample (the node label, so series from several nodes stay
  // apart when one Prometheus scrapes them all).
  void set_constant_labels(Labels labels) { constant_ = std::move(labels); }
  // `type` is "counter", "gauge" or "histogram". Counter names end in _total.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const Labels& labels, double value);
  void sample(std::string_view name, double value) { sample(name, {}, value); }
  // A whole histogram family member: cumulative _bucket{le=...} lines, _sum and _count.
  void histogram(std::string_view name, const Labels& labels, const HistogramCounts& h);

  // One-sample families.
  void counter(std::string_view name, std::string_view help, double value);
  void gauge(std::string_view name, std::string_view help, double value);

  const std::string& text() const { return out_; }

 private:
  std::string out_;
  Labels constant_;
};

// Escapes a label value: backslash, double quote and line feed (the format's three escapes).
std::string escape_label_value(std::string_view value);
// Formats a sample value: integers without a fraction, NaN and +/-Inf as the format spells them.
std::string format_value(double value);

}  // namespace spillway::app
