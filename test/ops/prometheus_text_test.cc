#include "app/prometheus_text.h"

#include <doctest/doctest.h>

namespace spillway::app {

TEST_CASE("PrometheusText: label values escape backslash, quote and newline") {
  CHECK(escape_label_value("plain-name.1") == "plain-name.1");
  CHECK(escape_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  PrometheusText out;
  out.family("x_total", "counter", "help with \\ and\nnewline");
  out.sample("x_total", {{"account", "we\"ird\n"}}, 3);
  CHECK(out.text() ==
        "# HELP x_total help with \\\\ and\\nnewline\n# TYPE x_total counter\n"
        "x_total{account=\"we\\\"ird\\n\"} 3\n");
}

TEST_CASE("PrometheusText: histogram buckets are cumulative and end with +Inf = count") {
  HistogramCounts h{{0.5, 1}, {2, 3, 1}, 4.25, 6};
  PrometheusText out;
  out.histogram("lat_seconds", {{"k", "v"}}, h);
  CHECK(out.text() ==
        "lat_seconds_bucket{k=\"v\",le=\"0.5\"} 2\n"
        "lat_seconds_bucket{k=\"v\",le=\"1\"} 5\n"
        "lat_seconds_bucket{k=\"v\",le=\"+Inf\"} 6\n"
        "lat_seconds_sum{k=\"v\"} 4.25\n"
        "lat_seconds_count{k=\"v\"} 6\n");
}

TEST_CASE("PrometheusText: values") {
  CHECK(format_value(42) == "42");
  CHECK(format_value(0.25) == "0.25");
  CHECK(format_value(1.0 / 0.0) == "+Inf");
  CHECK(format_value(1e20) == "1e+20");
}

}  // namespace spillway::app
