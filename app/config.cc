#include "app/config.h"

#include <unistd.h>

#include <cctype>
#include <charconv>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "app/client_command.h"
#include "replay/scheduler.h"

namespace spillway::app {
namespace {

using json = nlohmann::json;
using Setter = std::function<Status(ServeConfig&, const std::string&)>;

Status bad(const std::string& key, const std::string& what) {
  return Status::invalid_argument("--" + key + ": " + what);
}

template <typename T>
Setter integer(T min, T max, std::function<void(ServeConfig&, T)> set) {
  return [=](ServeConfig& c, const std::string& v) {
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size() || n < uint64_t(min) || n > uint64_t(max))
      return Status::invalid_argument("expected an integer in " + std::to_string(min) + ".." +
                                      std::to_string(max));
    set(c, static_cast<T>(n));
    return Status::ok();
  };
}

Setter text(std::function<void(ServeConfig&, const std::string&)> set) {
  return [=](ServeConfig& c, const std::string& v) {
    if (v.empty()) return Status::invalid_argument("expected a value");
    set(c, v);
    return Status::ok();
  };
}

Setter millis(uint64_t min, std::function<void(ServeConfig&, std::chrono::milliseconds)> set) {
  return integer<uint64_t>(min, uint64_t{1} << 40, [set](ServeConfig& c, uint64_t n) {
    set(c, std::chrono::milliseconds(n));
  });
}

constexpr uint64_t kMaxBytes = uint64_t{1} << 50;

// Node ids appear in log lines, metric labels and JSON: a short, plain alphabet keeps them
// safe in all three without escaping.
bool valid_node_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char ch : id) {
    bool ok = std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

// The host name, cut to the node id alphabet; "spillway" when it has none.
std::string default_node_id() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) return "spillway";
  std::string id;
  for (const char* p = host; *p != 0 && id.size() < 64; ++p) {
    bool ok = std::isalnum(static_cast<unsigned char>(*p)) || *p == '.' || *p == '_' || *p == '-';
    id += ok ? *p : '-';
  }
  return id.empty() ? "spillway" : id;
}

// A peer for --cluster-nodes: http://HOST[:PORT] with nothing after it (the routes asked are
// fixed). https is refused rather than ignored: the peers' client speaks plain HTTP.
Status check_peer_url(const std::string& url) {
  const std::string bad_url = "\"" + url + "\" is not http://HOST:PORT";
  if (url.rfind("https://", 0) == 0)
    return Status::invalid_argument(bad_url + " (https is not supported between nodes)");
  if (url.rfind("http://", 0) != 0) return Status::invalid_argument(bad_url);
  std::string rest = url.substr(7);
  if (rest.empty() || rest.find_first_of("/?#@ ") != std::string::npos)
    return Status::invalid_argument(bad_url);
  auto colon = rest.rfind(':');
  bool bracketed_v6 = rest.front() == '[' && rest.back() == ']';
  if (colon == std::string::npos || bracketed_v6) return Status::ok();
  auto hp = parse_listen(rest);
  if (!hp || hp->first.empty() || hp->second == 0) return Status::invalid_argument(bad_url);
  return Status::ok();
}

Status set_cluster_nodes(ServeConfig& c, const std::string& list) {
  auto urls = split_nodes(list);
  if (urls.empty()) return Status::invalid_argument("expected http://HOST:PORT,...");
  if (urls.size() > 64) return Status::invalid_argument("at most 64 nodes");
  for (const auto& url : urls) {
    if (Status s = check_peer_url(url); !s.is_ok()) return s;
  }
  c.cluster_nodes = std::move(urls);
  return Status::ok();
}

const std::map<std::string, Setter>& keys() {
  static const std::map<std::string, Setter> k = {
      {"data", text([](ServeConfig& c, const std::string& v) { c.data_dir = v; })},
      {"listen",
       [](ServeConfig& c, const std::string& v) {
         auto hp = parse_listen(v);
         if (!hp) return hp.status();
         c.listen_host = hp->first;
         c.listen_port = hp->second;
         return Status::ok();
       }},
      {"sink", text([](ServeConfig& c, const std::string& v) { c.sink = v; })},
      {"sink-ca-file",
       text([](ServeConfig& c, const std::string& v) { c.sink_http.tls.ca_file = v; })},
      {"sink-client-cert",
       text([](ServeConfig& c, const std::string& v) { c.sink_http.tls.client_cert = v; })},
      {"sink-client-key",
       text([](ServeConfig& c, const std::string& v) { c.sink_http.tls.client_key = v; })},
      {"threads", integer<unsigned>(1, 256, [](ServeConfig& c, unsigned n) { c.threads = n; })},
      {"admin-token-file",
       text([](ServeConfig& c, const std::string& v) { c.admin_token_file = v; })},
      {"log-level", text([](ServeConfig& c, const std::string& v) { c.log_level = v; })},
      {"shutdown-timeout-ms", millis(100, [](ServeConfig& c, auto d) { c.shutdown_timeout = d; })},
      {"max-body-bytes",
       integer<uint64_t>(1024, uint64_t{1} << 30,
                         [](ServeConfig& c, uint64_t n) { c.ingest.max_body_bytes = n; })},
      {"max-event-bytes",
       integer<uint64_t>(256, uint64_t{1} << 30,
                         [](ServeConfig& c, uint64_t n) { c.ingest.max_event_bytes = n; })},
      {"max-batch-events",
       integer<uint32_t>(1, 10'000'000,
                         [](ServeConfig& c, uint32_t n) { c.ingest.max_batch_events = n; })},
      {"max-depth",
       integer<uint32_t>(2, 1000, [](ServeConfig& c, uint32_t n) { c.ingest.max_depth = n; })},
      {"max-header-bytes",
       integer<uint32_t>(1024, 1 << 20,
                         [](ServeConfig& c, uint32_t n) { c.ingest.max_header_bytes = n; })},
      {"max-connections",
       integer<uint32_t>(1, 1'000'000,
                         [](ServeConfig& c, uint32_t n) { c.ingest.max_connections = n; })},
      {"account-rate-limit",
       integer<uint32_t>(0, 100'000'000,
                         [](ServeConfig& c, uint32_t n) { c.ingest.account_rate_limit = n; })},
      {"header-timeout-ms",
       millis(10, [](ServeConfig& c, auto d) { c.ingest.header_timeout = d; })},
      {"body-timeout-ms", millis(10, [](ServeConfig& c, auto d) { c.ingest.body_timeout = d; })},
      {"linger-time-ms", millis(0, [](ServeConfig& c, auto d) { c.ingest.linger_time = d; })},
      {"linger-timeout-ms",
       millis(10, [](ServeConfig& c, auto d) { c.ingest.linger_timeout = d; })},
      {"linger-max-bytes",
       integer<uint64_t>(0, kMaxBytes,
                         [](ServeConfig& c, uint64_t n) { c.ingest.linger_max_bytes = n; })},
      {"idle-timeout-ms", millis(10, [](ServeConfig& c, auto d) { c.ingest.idle_timeout = d; })},
      {"dedupe-window-s", integer<uint64_t>(0, uint64_t{1} << 32,
                                            [](ServeConfig& c, uint64_t n) {
                                              c.wal.dedupe_window = std::chrono::seconds(n);
                                            })},
      {"dedupe-seal-keys",
       integer<uint64_t>(64, uint64_t{1} << 24,
                         [](ServeConfig& c, uint64_t n) { c.wal.dedupe_seal_keys = n; })},
      {"dedupe-seal-interval-s",
       integer<uint64_t>(1, 86400,
                         [](ServeConfig& c, uint64_t n) {
                           c.wal.dedupe_seal_interval = std::chrono::seconds(n);
                         })},
      {"dedupe-step-bytes",
       integer<uint64_t>(uint64_t{8} << 10, uint64_t{64} << 20,
                         [](ServeConfig& c, uint64_t n) { c.wal.dedupe_step_bytes = n; })},
      {"inbox-min-group",
       integer<uint64_t>(0, 1 << 16,
                         [](ServeConfig& c, uint64_t n) {
                           c.wal.inbox_min_group = static_cast<unsigned>(n);
                         })},
      {"retain-delivered-s", integer<uint64_t>(0, uint64_t{1} << 32,
                                               [](ServeConfig& c, uint64_t n) {
                                                 c.wal.retain_delivered = std::chrono::seconds(n);
                                               })},
      {"retain-max-bytes",
       integer<uint64_t>(0, kMaxBytes,
                         [](ServeConfig& c, uint64_t n) { c.wal.retain_max_bytes = n; })},
      {"replay-account-window",
       integer<uint64_t>(1, 10'000'000,
                         [](ServeConfig& c, uint64_t n) { c.wal.replay_account_window = n; })},
      {"map-size", integer<uint64_t>(uint64_t{1} << 20, kMaxBytes,
                                     [](ServeConfig& c, uint64_t n) { c.wal.map_size = n; })},
      {"min-free-disk-bytes",
       integer<uint64_t>(0, kMaxBytes,
                         [](ServeConfig& c, uint64_t n) { c.wal.min_free_disk_bytes = n; })},
      {"max-total-bytes",
       integer<uint64_t>(0, kMaxBytes,
                         [](ServeConfig& c, uint64_t n) { c.wal.max_total_bytes = n; })},
      {"max-account-bytes",
       integer<uint64_t>(0, kMaxBytes,
                         [](ServeConfig& c, uint64_t n) { c.wal.max_account_bytes = n; })},
      {"drain-policy",
       [](ServeConfig& c, const std::string& v) {
         auto policy = replay::parse_drain_policy(v);
         if (!policy) return Status::invalid_argument("expected fair, catchup or fifo");
         c.replay.scheduler.policy = *policy;
         return Status::ok();
       }},
      {"drain-quantum", integer<uint32_t>(1, 1'000'000, [](ServeConfig& c, uint32_t n) {
         c.replay.scheduler.quantum = n;
       })},
      {"drain-batch-events", integer<uint32_t>(1, 100'000, [](ServeConfig& c, uint32_t n) {
         c.replay.max_batch_events = n;
       })},
      {"drain-target-request-ms", integer<uint32_t>(0, 60'000, [](ServeConfig& c, uint32_t n) {
         c.replay.request_size.target = std::chrono::milliseconds(n);
       })},
      {"drain-min-batch-events", integer<uint32_t>(1, 100'000, [](ServeConfig& c, uint32_t n) {
         c.replay.request_size.min_events = n;
       })},
      {"drain-batch-bytes", integer<uint64_t>(1024, uint64_t{1} << 30, [](ServeConfig& c, uint64_t n) {
         c.replay.max_batch_bytes = n;
       })},
      {"drain-rate", integer<uint64_t>(0, 100'000'000, [](ServeConfig& c, uint64_t n) {
         c.replay.max_events_per_sec = static_cast<double>(n);
       })},
      {"drain-min-concurrency", integer<uint32_t>(1, 4096, [](ServeConfig& c, uint32_t n) {
         c.replay.concurrency.min_limit = n;
       })},
      {"drain-max-concurrency", integer<uint32_t>(1, 4096, [](ServeConfig& c, uint32_t n) {
         c.replay.concurrency.max_limit = n;
       })},
      {"breaker-failures", integer<uint32_t>(1, 1'000'000, [](ServeConfig& c, uint32_t n) {
         c.replay.breaker.failure_threshold = n;
       })},
      {"sink-timeout-ms", millis(10, [](ServeConfig& c, auto d) { c.sink_http.attempt_timeout = d; })},
      {"retry-max-ms", millis(10, [](ServeConfig& c, auto d) {
         c.replay.retry.cap = d;
         c.replay.breaker.backoff.cap = d;
       })},
      {"open-reads", integer<unsigned>(0, 1, [](ServeConfig& c, unsigned n) { c.open_reads = n == 1; })},
      {"metrics-top-accounts", integer<unsigned>(0, 10'000, [](ServeConfig& c, unsigned n) {
         c.metrics_top_accounts = n;
       })},
      {"metrics-require-token", integer<unsigned>(0, 1, [](ServeConfig& c, unsigned n) {
         c.metrics_require_token = n == 1;
       })},
      {"node-id",
       [](ServeConfig& c, const std::string& v) {
         if (!valid_node_id(v)) return Status::invalid_argument("expected 1..64 of [A-Za-z0-9._-]");
         c.node_id = v;
         return Status::ok();
       }},
      {"accounts-file", text([](ServeConfig& c, const std::string& v) { c.accounts_file = v; })},
      {"cluster-nodes", set_cluster_nodes},
      {"cluster-timeout-ms",
       millis(10, [](ServeConfig& c, auto d) { c.cluster_timeout = d; })},
      {"max-pending-appends",
       integer<unsigned>(1, 1'000'000,
                         [](ServeConfig& c, unsigned n) { c.wal.max_pending_appends = n; })},
  };
  return k;
}

std::string normalise_key(std::string key) {
  for (char& ch : key)
    if (ch == '_') ch = '-';
  return key;
}

// Reads the JSON config file into key -> value text.
Status read_config_file(const std::string& path, std::map<std::string, std::string>& out) {
  std::ifstream in(path);
  if (!in) return Status::invalid_argument("--config: cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  json doc = json::parse(ss.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return Status::invalid_argument("--config: " + path + " is not a JSON object");
  for (const auto& [key, value] : doc.items()) {
    if (value.is_string())
      out[normalise_key(key)] = value.get<std::string>();
    else if (value.is_number_unsigned())
      out[normalise_key(key)] = value.dump();
    else
      return Status::invalid_argument("--config: key \"" + key +
                                      "\" must be a string or a non-negative integer");
  }
  return Status::ok();
}

// Collects "--key value" / "--key=value" pairs.
Status read_flags(const std::vector<std::string>& args, std::map<std::string, std::string>& out) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0) return Status::invalid_argument("unexpected argument: " + a);
    auto eq = a.find('=');
    std::string key = normalise_key(a.substr(2, eq == std::string::npos ? eq : eq - 2));
    if (eq != std::string::npos) {
      out[key] = a.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      out[key] = args[++i];
    } else {
      return bad(key, "missing value");
    }
  }
  return Status::ok();
}

Status validate(ServeConfig& c) {
  if (c.threads == 0) c.threads = std::max(1u, std::thread::hardware_concurrency());
  if (c.sink.empty()) c.sink = "file:" + c.data_dir + "/sink.ndjson";
  if (c.node_id.empty()) c.node_id = default_node_id();
  if (c.sink.rfind("http://", 0) != 0 && c.sink.rfind("https://", 0) != 0 &&
      c.sink.rfind("file:", 0) != 0 && c.sink.rfind("null:", 0) != 0)
    return bad("sink", "must be http(s)://..., file:PATH or null:");
  if (c.sink.rfind("https://", 0) != 0) {
    if (!c.sink_http.tls.ca_file.empty())
      return bad("sink-ca-file", "applies to an https:// sink only");
    if (!c.sink_http.tls.client_cert.empty() || !c.sink_http.tls.client_key.empty())
      return bad("sink-client-cert", "applies to an https:// sink only");
  }
  if (c.sink_http.tls.client_cert.empty() != c.sink_http.tls.client_key.empty())
    return bad("sink-client-key", "--sink-client-cert and --sink-client-key go together");
  if (c.ingest.max_event_bytes > c.ingest.max_body_bytes)
    return bad("max-event-bytes", "must not exceed --max-body-bytes");
  if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" &&
      c.log_level != "error")
    return bad("log-level", "must be debug, info, warn or error");
  if (c.replay.concurrency.min_limit > c.replay.concurrency.max_limit)
    return bad("drain-min-concurrency", "must not exceed --drain-max-concurrency");
  if (c.replay.request_size.min_events > c.replay.max_batch_events)
    return bad("drain-min-batch-events", "must not exceed --drain-batch-events");
  // The fair scheduler sizes turns for about three requests in flight when few accounts are
  // left; the drainer moves this with the request size (3 x its current size).
  c.replay.scheduler.pipeline_events = uint64_t{3} * c.replay.max_batch_events;
  c.wal.dir = c.data_dir;
  return Status::ok();
}

}  // namespace

Result<std::pair<std::string, uint16_t>> parse_listen(const std::string& value) {
  auto colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return Status::invalid_argument("--listen: expected HOST:PORT");
  std::string host = value.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  std::string port_text = value.substr(colon + 1);
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || p != port_text.data() + port_text.size() || port > 65535)
    return Status::invalid_argument("--listen: bad port \"" + port_text + "\"");
  return std::pair{host, static_cast<uint16_t>(port)};
}

Result<ServeConfig> parse_serve_config(const std::vector<std::string>& args) {
  std::map<std::string, std::string> flags;
  if (Status s = read_flags(args, flags); !s.is_ok()) return s;
  std::map<std::string, std::string> merged;
  if (auto it = flags.find("config"); it != flags.end()) {
    if (Status s = read_config_file(it->second, merged); !s.is_ok()) return s;
    flags.erase(it);
  }
  for (auto& [k, v] : flags) merged[k] = v;
  ServeConfig config;
  for (const auto& [key, value] : merged) {
    auto setter = keys().find(key);
    if (setter == keys().end()) return Status::invalid_argument("unknown option --" + key);
    if (Status s = setter->second(config, value); !s.is_ok()) return bad(key, s.message());
  }
  if (Status s = validate(config); !s.is_ok()) return s;
  return config;
}

std::string serve_usage() {
  std::string out =
      "usage: spillway serve [--config FILE] [--data DIR] [--listen HOST:PORT] [--sink URL]\n"
      "                      [--threads N] [--admin-token-file FILE] [limits...]\n"
      "The admin token comes from $SPILLWAY_ADMIN_TOKEN, --admin-token-file, or is generated\n"
      "into DATA_DIR/admin.token (0600) on first start.\noptions:\n";
  for (const auto& [key, setter] : keys()) out += "  --" + key + "\n";
  return out;
}

}  // namespace spillway::app
