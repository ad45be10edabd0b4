#include "app/serve.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <csignal>
#include <future>
#include <iostream>
#include <thread>

#include "app/accounts_reloader.h"
#include "app/admin_token.h"
#include "app/backup_runner.h"
#include "app/cluster_peers.h"
#include "app/config.h"
#include "app/drain_routes.h"
#include "app/file_account_store.h"
#include "app/io_threads.h"
#include "app/node_downstream.h"
#include "app/node_routes.h"
#include "app/ops_routes.h"
#include "app/replay_routes.h"
#include "app/version.h"
#include "common/clock.h"
#include "ingest/admin_routes.h"
#include "ingest/auth.h"
#include "ingest/http_server.h"
#include "ingest/ingest_service.h"
#include "ingest/router.h"
#include "ingest/segment_routes.h"
#include "ingest/track_api_routes.h"
#include "ingest/wal_store.h"
#include "queue/wal.h"
#include "replay/downstream_factory.h"
#include "replay/drainer.h"

namespace spillway::app {
namespace {

constexpr std::string_view kTag = "serve";

LogLevel level_of(const std::string& name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "warn") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  return LogLevel::kInfo;
}

// Waits until every request handed to the router has been answered, or the deadline passes.
bool drain_in_flight(const ingest::HttpServer& server, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (server.in_flight() > 0) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::string address(const std::string& host, uint16_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::unique_ptr<ClusterPeers> make_peers(const ServeConfig& config, const std::string& token) {
  if (config.cluster_nodes.empty()) return nullptr;
  return std::make_unique<ClusterPeers>(
      ClusterPeers::Options{config.cluster_nodes, token, config.cluster_timeout});
}

// The ingest object graph over an open queue, in dependency order (destroyed in reverse).
// With --accounts-file the service sees the store through the file (FileAccountStore).
// `peers` (--cluster-nodes) is here because the admin token it presents is only known here.
struct IngestWiring {
  IngestWiring(queue::Wal& wal, const ServeConfig& config, const std::string& token,
               const Clock& clock, Logger& log)
      : peers(make_peers(config, token)),
        admin(token),
        store(wal),
        file_store(store, wal),
        service(
            config.accounts_file.empty() ? static_cast<ingest::IngestStore&>(store) : file_store,
            config.ingest, clock, log) {
    ingest::add_segment_routes(router, service);
    ingest::add_track_api_routes(router, service);
    ingest::add_admin_routes(router, service, admin);
  }
  std::unique_ptr<ClusterPeers> peers;  // null without --cluster-nodes
  ingest::AdminToken admin;
  ingest::WalStore store;
  FileAccountStore file_store;
  ingest::IngestService service;
  ingest::Router router;
};

// The replay side over the same io_context: the sink named by --sink and the drain engine,
// whose operator routes join the ingest routes on the one router.
struct ReplayWiring {
  std::unique_ptr<replay::Downstream> sink;
  std::unique_ptr<replay::Drainer> drainer;

  Status start(boost::asio::io_context& ioc, queue::Wal& wal, IngestWiring& ingest,
               const ServeConfig& config, const Clock& clock, Logger& log) {
    replay::SinkContext ctx{ioc.get_executor(), &clock, &log, config.sink_http};
    auto made = replay::make_downstream(config.sink, ctx);
    if (!made) return made.status();
    sink = std::make_unique<NodeDownstream>(std::move(*made), config.node_id);
    drainer = std::make_unique<replay::Drainer>(ioc, wal, *sink, config.replay, clock, log);
    add_drain_routes(
        ingest.router, *drainer, wal, ingest.admin, log,
        {config.open_reads, 1000, config.node_id,
         std::chrono::duration_cast<std::chrono::seconds>(config.wal.retain_delivered).count(),
         config.wal.retain_max_bytes});
    add_replay_routes(ingest.router, *drainer, wal, ingest.admin, log);
    return drainer->start();
  }

  // Stops dispatching and waits (bounded) for deliveries in flight and their acks.
  void stop() {
    if (!drainer) return;
    std::promise<void> stopped;
    drainer->stop([&stopped] { stopped.set_value(); });
    stopped.get_future().wait();
    sink->stop();
  }
};

// The operations surface (metrics, dashboard, account list, backup) joins the router last;
// then every route is counted by the metrics.
void add_ops_routes(IngestWiring& ingest, const NodeSources& node, const ingest::HttpServer& server,
                    const ServeConfig& config, BackupRunner& backup) {
  OpsSources sources{node.wal, &config.wal,   node.drainer, &ingest.service.metrics(),
                     &server,  &ingest.admin, &node};
  Logger& log = *node.log;
  add_metrics_route(ingest.router, sources,
                    {config.metrics_top_accounts, config.metrics_require_token});
  add_dashboard_routes(ingest.router);
  add_account_list_route(ingest.router, sources, config.open_reads);
  add_backup_route(ingest.router, sources, backup, log);
  add_node_routes(ingest.router, node);
  add_cluster_route(ingest.router, node, ingest.peers.get(), config.open_reads);
  ingest.router.set_metrics(ingest.service.metrics());
}

// The line tests and scripts wait for (scripts/ready_port.sh reads the port from it).
void log_ready(const ServeConfig& config, uint16_t port, Logger& log) {
  log.info(kTag, "ready",
           {{"listen", address(config.listen_host, port)},
            {"data", config.data_dir},
            {"sink", config.sink},
            {"threads", config.threads},
            {"node", config.node_id}});
}

// Serves until SIGTERM/SIGINT, then shuts down in order. Returns the exit code.
int serve_until_signal(const ServeConfig& config, queue::Wal& wal, IngestWiring& ingest,
                       const Clock& clock, Logger& log) {
  boost::asio::io_context ioc(static_cast<int>(config.threads));
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  std::promise<int> got;
  signals.async_wait(
      [&got](boost::system::error_code ec, int sig) { got.set_value(ec ? 0 : sig); });
  ReplayWiring replay;
  if (Status s = replay.start(ioc, wal, ingest, config, clock, log); !s.is_ok()) {
    log.error(kTag, "cannot start replay", {{"error", s.to_string()}});
    return 1;
  }
  ingest::HttpServer server(ioc, ingest.router, config.ingest, log);
  BackupRunner backup(wal.env());
  NodeSources node{config.node_id,       &ingest.service, &wal,
                   replay.drainer.get(), &ingest.admin,   &log};
  add_ops_routes(ingest, node, server, config, backup);
  AccountsReloader accounts(ioc, ingest.file_store, config.accounts_file, log);
  accounts.start();
  if (ingest.peers) ingest.peers->start();
  IoThreads threads(ioc);
  auto port = server.start(config.listen_host, config.listen_port);
  if (!port) {
    log.error(kTag, "cannot listen", {{"error", port.status().to_string()}});
    threads.start(1);
    replay.stop();
    threads.stop();
    return 1;
  }
  threads.start(config.threads);
  log_ready(config, port.value(), log);
  int sig = got.get_future().get();
  log.info(kTag, "shutting down", {{"signal", sig}, {"in_flight", server.in_flight()}});
  accounts.stop();
  // Order: no new requests; answer those in flight (their commits finish); stop draining and
  // record what was delivered; then close connections, the store and the threads.
  server.stop_accepting();
  bool drained = drain_in_flight(server, config.shutdown_timeout);
  if (ingest.peers) ingest.peers->stop();
  replay.stop();
  server.close_all();
  backup.stop();  // a copy in progress reads the store: finish it before closing
  wal.close();
  threads.stop();
  log.info(kTag, "stopped", {{"drained", drained}});
  return 0;
}

// Installs --accounts-file before the first request; startup fails on a bad file or on a data
// directory holding accounts the file does not name (ambiguous: which keys would be valid?).
Status load_accounts(const ServeConfig& config, IngestWiring& wiring, Logger& log) {
  if (config.accounts_file.empty()) return Status::ok();
  boost::asio::io_context unused;
  AccountsReloader loader(unused, wiring.file_store, config.accounts_file, log);
  return loader.load_now();
}

int run(const ServeConfig& config, Logger& log) {
  log.info(kTag, "starting", {{"version", std::string(kVersion)}, {"data", config.data_dir}});
  SystemClock clock;
  auto wal = queue::Wal::open(config.wal, clock, log);
  if (!wal) {
    log.error(kTag, "cannot open the store", {{"error", wal.status().to_string()}});
    return 1;
  }
  auto token = resolve_admin_token(config.admin_token_file, config.data_dir, log);
  if (!token) {
    log.error(kTag, "no admin token", {{"error", token.status().to_string()}});
    return 1;
  }
  IngestWiring wiring(**wal, config, token.value(), clock, log);
  if (Status s = load_accounts(config, wiring, log); !s.is_ok()) {
    log.error(kTag, "cannot use the accounts file", {{"error", s.message()}});
    return 1;
  }
  return serve_until_signal(config, **wal, wiring, clock, log);
}

}  // namespace

int serve_main(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << serve_usage();
      return 0;
    }
  }
  auto config = parse_serve_config(args);
  if (!config) {
    std::cerr << "spillway serve: " << config.status().message() << "\n" << serve_usage();
    return 2;
  }
  StderrLogger log(level_of(config->log_level), config->node_id);
  return run(config.value(), log);
}

}  // namespace spillway::app
