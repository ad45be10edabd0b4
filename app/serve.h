#pragma once

#include <string>
#include <vector>

namespace spillway::app {

// `spillway serve`: opens the queue, wires the ingest routes onto the Beast server, logs
// `ready listen=HOST:PORT` once listening (with the real port for --listen HOST:0) and runs
// until SIGTERM/SIGINT. Shutdown: stop accepting, wait (bounded by --shutdown-timeout-ms) for
// the requests in flight to be answered, close connections, stop the writer (finishing queued
// commits), stop the io threads. Returns the process exit code (0 after a clean shutdown).
int serve_main(const std::vector<std::string>& args);

// `spillway bench-noop-server --listen HOST:PORT [--threads N]`: the same Beast server and
// router answering 200 {"success":true} to the ingest routes without parsing or storing:
// the HTTP ceiling for bench/http_bench.sh. Hidden from help.
int bench_noop_main(const std::vector<std::string>& args);

}  // namespace spillway::app
