#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <future>
#include <iostream>

#include "app/config.h"
#include "app/io_threads.h"
#include "app/serve.h"
#include "ingest/http_server.h"
#include "ingest/responses.h"
#include "ingest/router.h"

namespace spillway::app {
namespace {

// Answers like the real ingest routes on success, without parsing or storing.
void add_noop_routes(ingest::Router& router) {
  auto ok = [](ingest::HttpRequest, ingest::Responder respond) {
    respond(ingest::segment_success({1, 0, 0}));
  };
  for (const char* path : {"/v1/track", "/v1/identify", "/v1/page", "/v1/screen", "/v1/group",
                           "/v1/alias", "/v1/batch", "/v1/events"})
    router.add("POST", path, ok);
}

}  // namespace

int bench_noop_main(const std::vector<std::string>& args) {
  auto config = parse_serve_config(args);
  if (!config) {
    std::cerr << "spillway bench-noop-server: " << config.status().message() << "\n";
    return 2;
  }
  StderrLogger log;
  ingest::Router router;
  add_noop_routes(router);
  boost::asio::io_context ioc(static_cast<int>(config->threads));
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  std::promise<int> got;
  signals.async_wait([&got](boost::system::error_code, int sig) { got.set_value(sig); });
  ingest::HttpServer server(ioc, router, config->ingest, log);
  auto port = server.start(config->listen_host, config->listen_port);
  if (!port) {
    log.error("bench", "cannot listen", {{"error", port.status().to_string()}});
    return 1;
  }
  IoThreads threads(ioc);
  threads.start(config->threads);
  log.info("bench", "ready", {{"listen", config->listen_host + ":" + std::to_string(*port)}});
  got.get_future().get();
  server.stop_accepting();
  server.close_all();
  threads.stop();
  return 0;
}

}  // namespace spillway::app
