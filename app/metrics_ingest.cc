// GET /metrics: the ingest and HTTP section.
#include "app/metrics_sections.h"
#include "app/prometheus_text.h"
#include "ingest/http_server.h"
#include "ingest/ingest_metrics.h"

namespace spillway::app {

void write_ingest_metrics(PrometheusText& out, const ingest::IngestMetrics& metrics,
                          const ingest::HttpServer* server) {
  out.family("spillway_http_requests_total", "counter",
             "HTTP responses by route pattern, method and status code (route=\"unrouted\": "
             "answered before routing or no route matched).");
  for (const auto& r : metrics.requests()) {
    out.sample("spillway_http_requests_total",
               {{"route", r.route}, {"method", r.method}, {"status", std::to_string(r.status)}},
               static_cast<double>(r.count));
  }
  out.family("spillway_ingest_rejections_total", "counter",
             "Ingest requests answered with an error, by error code.");
  for (const auto& [reason, count] : metrics.rejections()) {
    out.sample("spillway_ingest_rejections_total", {{"reason", reason}},
               static_cast<double>(count));
  }
  out.family("spillway_ingest_request_duration_seconds", "histogram",
             "Time from a fully read ingest request to its response, including the wait for "
             "the commit holding its events (socket time excluded).");
  out.histogram("spillway_ingest_request_duration_seconds", {}, metrics.ingest_latency());
  out.counter("spillway_ingest_events_total", "Events stored (acknowledged after fsync).",
              static_cast<double>(metrics.events()));
  out.counter("spillway_ingest_bytes_total", "Payload bytes of the events stored.",
              static_cast<double>(metrics.bytes()));
  out.counter("spillway_ingest_duplicates_total",
              "Events acknowledged without a second copy (idempotency key seen in the window).",
              static_cast<double>(metrics.duplicates()));
  out.counter("spillway_ingest_invalid_events_total",
              "Invalid events inside accepted batches, stored as dead letters at ingest.",
              static_cast<double>(metrics.invalid_events()));
  if (server != nullptr) {
    out.gauge("spillway_http_connections", "Open HTTP connections.",
              static_cast<double>(server->connections()));
    out.gauge("spillway_http_requests_in_flight", "Requests received and not yet answered.",
              static_cast<double>(server->in_flight()));
  }
}

}  // namespace spillway::app
