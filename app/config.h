#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "ingest/ingest_options.h"
#include "queue/wal_options.h"
#include "replay/http_downstream.h"
#include "replay/replay_options.h"

namespace spillway::app {

// Everything `spillway serve` needs, read once at startup from an optional JSON config file
// and the command line (flags win). Secrets never come from here: the admin token is read
// from the environment or a file (see admin_token.h). Copyable value type.
struct ServeConfig {
  std::string data_dir = "./spillway-data";
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;
  // Replay sink URL (http(s)://..., file:PATH, null:). Empty: file: inside the data dir.
  std::string sink;
  // io threads running the shared io_context. Default: hardware cores.
  unsigned threads = 0;
  std::string admin_token_file;
  // Bound on a graceful shutdown (finish in-flight commits, answer them). Default 20 s.
  std::chrono::milliseconds shutdown_timeout = std::chrono::seconds(20);
  std::string log_level = "info";
  ingest::IngestOptions ingest;
  queue::WalOptions wal;
  replay::ReplayOptions replay;
  // Tuning of the http:// sink (host, port and target come from --sink).
  replay::HttpDownstreamOptions sink_http;
  // Serve GET /v1/backlog, /v1/cluster/backlog and /v1/accounts/{name} without the admin
  // token. Default off.
  bool open_reads = false;
  // Per-account series on GET /metrics for this many accounts (deepest first); bounds the
  // label cardinality. Default 20.
  unsigned metrics_top_accounts = 20;
  // Require the admin token on GET /metrics. Default off (open, like /healthz).
  bool metrics_require_token = false;
  // This node's name in logs, metric labels, the backlog API and each delivered event's
  // envelope ("node"), so an operator and a downstream can tell where an event waited.
  // Default: the host name.
  std::string node_id;
  // The declarative accounts file (docs/cluster.md). Empty: accounts come from the admin API
  // and live in the data directory. Set: the file is the only source of credentials and the
  // admin API's account creation is refused.
  std::string accounts_file;
  // The other nodes of the cluster (http://HOST:PORT each, docs/cluster.md): this node asks
  // them for GET /v1/cluster/backlog and the dashboard's cluster section, presenting its own
  // admin token. Empty (default): no cluster view.
  std::vector<std::string> cluster_nodes;
  // Bound on each call to a peer; a peer slower than this shows as unreachable. Default 2 s.
  std::chrono::milliseconds cluster_timeout = std::chrono::seconds(2);
};

// Reads `serve` arguments ("--key value" or "--key=value"; "--config FILE" names a JSON file
// with the same keys, dashes or underscores). Fills defaults (threads, sink, wal.dir) and
// validates. Errors are kInvalidArgument naming the flag.
Result<ServeConfig> parse_serve_config(const std::vector<std::string>& args);

// The flag reference printed by `spillway serve --help`.
std::string serve_usage();

// Splits "HOST:PORT" ("[::1]:80" for IPv6).
Result<std::pair<std::string, uint16_t>> parse_listen(const std::string& value);

}  // namespace spillway::app
