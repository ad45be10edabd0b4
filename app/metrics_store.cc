// GET /metrics: the store section (queue writer and LMDB environment).
#include <filesystem>

#include "app/metrics_sections.h"
#include "app/prometheus_text.h"
#include "queue/lmdb_env.h"
#include "queue/wal.h"

namespace spillway::app {
namespace {

void write_commit_metrics(PrometheusText& out, const queue::WalWriter& writer) {
  auto stats = writer.stats();
  out.counter("spillway_commits_total", "Write transactions committed (one fsync each).",
              static_cast<double>(stats.commits));
  out.counter("spillway_commit_failures_total",
              "Failed commits (the writer then refuses writes until a probe commit succeeds).",
              static_cast<double>(stats.failed_commits));
  out.counter("spillway_inbox_staged_events_total",
              "Events acknowledged through the sequential inbox (groups of several appends).",
              static_cast<double>(stats.staged_events));
  out.counter("spillway_inbox_moves_total",
              "Moves of the inbox's staged events into the accounts' queues.",
              static_cast<double>(stats.inbox_moves));
  out.gauge("spillway_inbox_events", "Events staged in the inbox, not yet in their queues.",
            static_cast<double>(stats.inbox_rows));
  out.counter("spillway_write_queue_full_total",
              "Appends refused at once because the writer's queue was full (503 overloaded).",
              static_cast<double>(stats.queue_full_rejections));
  out.family("spillway_commit_latency_seconds", "histogram",
             "Time from the start of a group's write transaction to its commit returning, "
             "fsync included.");
  out.histogram("spillway_commit_latency_seconds", {}, writer.commit_latency());
  out.family("spillway_commit_group_operations", "histogram",
             "Operations (appends, settles, control) per group commit.");
  out.histogram("spillway_commit_group_operations", {}, writer.group_sizes());
}

void write_index_metrics(PrometheusText& out, const queue::WalWriter& writer) {
  queue::dedupe::IndexStats st = writer.index_stats();
  out.gauge("spillway_dedupe_runs", "Sealed runs of the idempotency index (each probed per key).",
            static_cast<double>(st.runs));
  out.family("spillway_dedupe_keys", "gauge",
             "Idempotency keys remembered: in memory (recent, not yet sealed) and in sealed runs.");
  out.sample("spillway_dedupe_keys", {{"where", "recent"}}, static_cast<double>(st.recent_keys));
  out.sample("spillway_dedupe_keys", {{"where", "runs"}}, static_cast<double>(st.run_keys));
  out.counter("spillway_dedupe_seals_total", "Recent-key tables sealed into runs.",
              static_cast<double>(st.seals));
  out.counter("spillway_dedupe_merges_total", "Runs merged (time-window compaction).",
              static_cast<double>(st.merges));
  out.counter("spillway_dedupe_dropped_runs_total", "Runs dropped whole when their window ended.",
              static_cast<double>(st.dropped_runs));
  out.counter("spillway_dedupe_maintenance_bytes_total",
              "Bytes written by index maintenance (seals and merges): its write amplification.",
              static_cast<double>(st.maintenance_bytes));
  out.counter("spillway_dedupe_bloom_reads_total",
              "Bloom filter rows found through LMDB. A row in a page of its own is then "
              "addressed directly while its run lives; a smaller one (a short last chunk) is "
              "found again in each transaction that probes it.",
              static_cast<double>(st.bloom_fetches));
  out.gauge("spillway_dedupe_bloom_pinned_chunks",
            "Bloom filter chunks of live runs addressed directly (8 bytes of memory each).",
            static_cast<double>(st.pinned_bloom_chunks));
  out.family("spillway_dedupe_step_seconds", "histogram",
             "Time one index maintenance transaction held the writer.");
  out.histogram("spillway_dedupe_step_seconds", {}, writer.index_step_latency());
}

void write_retention_metrics(PrometheusText& out, const queue::WalWriter& writer) {
  queue::retain::RetainedStats st = writer.retained_stats();
  out.gauge("spillway_retained_events", "Delivered events kept for replay (--retain-delivered-s).",
            static_cast<double>(st.events));
  out.gauge("spillway_retained_bytes", "Payload bytes of the delivered events kept for replay.",
            static_cast<double>(st.bytes));
  out.gauge("spillway_retained_oldest_delivered_timestamp_seconds",
            "Delivery time of the oldest retained event (Unix seconds); 0 when none is kept.",
            static_cast<double>(st.oldest_delivered_ms) / 1000.0);
  out.gauge("spillway_retained_shedding",
            "1 while the disk is short: delivered events are not kept and the oldest are dropped.",
            st.shedding ? 1 : 0);
  out.family("spillway_retained_dropped_total", "counter",
             "Retained events removed, by why: expired (older than --retain-delivered-s), budget "
             "(over --retain-max-bytes), disk (ingest needed the space), not_kept (delivered "
             "while the disk was short).");
  out.sample("spillway_retained_dropped_total", {{"reason", "expired"}},
             static_cast<double>(st.expired));
  out.sample("spillway_retained_dropped_total", {{"reason", "budget"}},
             static_cast<double>(st.dropped_budget));
  out.sample("spillway_retained_dropped_total", {{"reason", "disk"}},
             static_cast<double>(st.dropped_disk));
  out.sample("spillway_retained_dropped_total", {{"reason", "not_kept"}},
             static_cast<double>(st.not_kept));
}

// Jobs are few (one per incident), so every job is summed rather than labelled.
void write_replay_job_metrics(PrometheusText& out, const queue::WalWriter& writer) {
  uint64_t running = 0, matched = 0, enqueued = 0, delivered = 0;
  for (const queue::ReplayJob& j : writer.replay_jobs()) {
    if (j.state != queue::ReplayState::kRunning) continue;
    running += 1;
    matched += j.matched;
    enqueued += j.enqueued;
    delivered += j.delivered;
  }
  out.gauge("spillway_replay_jobs_running", "Replay jobs still enqueueing (GET /v1/replays).",
            static_cast<double>(running));
  out.family("spillway_replay_job_events", "gauge",
             "Events of the running replay jobs: matched, re-enqueued, delivered again.");
  out.sample("spillway_replay_job_events", {{"stage", "matched"}}, static_cast<double>(matched));
  out.sample("spillway_replay_job_events", {{"stage", "enqueued"}}, static_cast<double>(enqueued));
  out.sample("spillway_replay_job_events", {{"stage", "delivered"}},
             static_cast<double>(delivered));
}

}  // namespace

void write_store_metrics(PrometheusText& out, queue::Wal& wal, const queue::WalOptions& options) {
  write_commit_metrics(out, wal.writer());
  write_index_metrics(out, wal.writer());
  write_retention_metrics(out, wal.writer());
  write_replay_job_metrics(out, wal.writer());
  queue::LmdbEnv& env = wal.env();
  queue::MapUsage usage = env.map_usage();
  auto free_pages = env.free_pages();
  uint64_t free_bytes = free_pages ? *free_pages * usage.page_size : 0;
  out.gauge("spillway_store_map_size_bytes", "LMDB map size: the hard upper bound of the store.",
            static_cast<double>(usage.map_size));
  out.gauge("spillway_store_map_used_bytes",
            "Bytes of the map in use (high-water mark less pages on the free list).",
            static_cast<double>(usage.high_water - std::min(usage.high_water, free_bytes)));
  std::error_code ec;
  auto file_size = std::filesystem::file_size(env.dir() + "/data.mdb", ec);
  out.gauge("spillway_store_file_size_bytes", "Size of data.mdb on disk (it never shrinks).",
            ec ? 0.0 : static_cast<double>(file_size));
  auto disk = env.free_disk_bytes();
  out.gauge("spillway_store_free_disk_bytes", "Free bytes on the data directory's filesystem.",
            disk ? static_cast<double>(*disk) : 0.0);
  out.gauge("spillway_store_min_free_disk_bytes",
            "Reserve of free disk below which ingest is refused.",
            static_cast<double>(options.min_free_disk_bytes));
  out.gauge("spillway_store_queued_bytes", "Payload bytes queued across all accounts.",
            static_cast<double>(wal.accounts().total_bytes()));
  out.gauge("spillway_store_quota_bytes",
            "Global queued-bytes quota (--max-total-bytes); 0 means no quota.",
            static_cast<double>(options.max_total_bytes));
  out.gauge("spillway_store_account_quota_bytes",
            "Per-account queued-bytes quota (--max-account-bytes); 0 means no quota.",
            static_cast<double>(options.max_account_bytes));
  out.gauge("spillway_store_ingest_refused",
            "1 while appends are refused by a watermark, the disk reserve or a full map.",
            wal.writer().ingest_refused() ? 1 : 0);
  out.gauge("spillway_store_healthy", "0 after a failed commit until the store recovers.",
            wal.writer().health().is_ok() ? 1 : 0);
}

}  // namespace spillway::app
