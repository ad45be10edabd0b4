#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "common/logger.h"
#include "ingest/ingest_options.h"

namespace spillway::ingest {
class Router;
}

namespace spillway::ingest::detail {

// State shared by the listener, every session and the HttpServer handle. Counters are atomic;
// the session registry (used only to close connections at shutdown) is under mu_.
struct ServerShared {
  ServerShared(const Router& r, const IngestOptions& o, Logger& l)
      : router(r), options(o), logger(l) {}
  const Router& router;
  const IngestOptions& options;
  Logger& logger;
  std::atomic<bool> stopping{false};
  // Set by close_all(): responses are dropped instead of posted (the io_context may be
  // about to stop).
  std::atomic<bool> closed{false};
  std::atomic<uint64_t> connections{0};
  std::atomic<uint64_t> in_flight{0};
  LogThrottle reject_log{std::chrono::seconds(10)};

  // Registry of live sessions: id -> "close yourself" (posts to the session's strand).
  void add_session(uint64_t id, std::function<void(bool idle_only)> closer);
  void remove_session(uint64_t id);
  void close_sessions(bool idle_only);
  uint64_t next_session_id() { return next_id.fetch_add(1); }

 private:
  std::atomic<uint64_t> next_id{1};
  std::mutex mu;
  // Guarded by mu.
  std::unordered_map<uint64_t, std::function<void(bool)>> sessions;
};

}  // namespace spillway::ingest::detail
