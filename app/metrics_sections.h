#pragma once

#include <cstddef>
#include <cstdint>

namespace spillway::ingest {
class HttpServer;
class IngestMetrics;
}  // namespace spillway::ingest
namespace spillway::queue {
class Wal;
struct WalOptions;
}  // namespace spillway::queue
namespace spillway::replay {
struct DrainSnapshot;
}

namespace spillway::app {

class PrometheusText;

// The sections of GET /metrics (docs/operations.md lists every metric). Each appends whole
// families to `out`; each reads only thread-safe state (atomics, the account table, short
// LMDB read transactions), so they run on any io thread.

// spillway_http_* and spillway_ingest_*: requests by route and status, rejections by reason,
// events, bytes, duplicates; connections. `server` may be null (not listening yet).
void write_ingest_metrics(PrometheusText& out, const ingest::IngestMetrics& metrics,
                          const ingest::HttpServer* server);
// spillway_commit_* and spillway_store_*: commits, commit latency and group-commit size,
// map and file size, free disk, queued bytes against the quotas, health.
void write_store_metrics(PrometheusText& out, queue::Wal& wal, const queue::WalOptions& options);
// spillway_replay_*: the drain engine from its snapshot.
void write_replay_metrics(PrometheusText& out, const replay::DrainSnapshot& snap);
// spillway_backlog_* (totals) and spillway_account_* for the `top` deepest accounts only, so
// label cardinality stays bounded however many accounts exist.
void write_backlog_metrics(PrometheusText& out, const queue::Wal& wal,
                           const replay::DrainSnapshot& snap, size_t top, int64_t now_ms);

}  // namespace spillway::app
