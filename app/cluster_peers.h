#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "app/cluster_backlog.h"

namespace spillway::app {

// The other nodes of a cluster as this node's one view asks them (--cluster-nodes,
// docs/cluster.md). A round asks every peer at once for GET /v1/backlog and GET /v1/node,
// presenting the admin token, each call bounded by a short timeout. The HTTP client blocks,
// so rounds run on this object's own thread, never on an io thread. Fetches that arrive while
// a round runs share the next one: the peers see one round at a time however many dashboards
// poll. Lifecycle: construct, start(), stop() (the destructor stops). fetch() is thread-safe.
class ClusterPeers {
 public:
  // Accounts asked of each node (its deepest): the per-account sums cover these.
  static constexpr size_t kAccountsPerNode = 100;

  struct Options {
    std::vector<std::string> urls;  // http://HOST:PORT, validated by app/config.cc
    std::string token;              // sent as `Authorization: Bearer` to every peer
    // Bound on each call to a peer (connecting: the shorter of this and 3 s). Default 2 s:
    // a dead or blackholed peer delays the view by about this much and fails only its row.
    std::chrono::milliseconds timeout{2000};
  };
  using Done = std::function<void(const std::vector<NodeReport>&)>;

  explicit ClusterPeers(Options options) : options_(std::move(options)) {}
  ~ClusterPeers() { stop(); }
  ClusterPeers(const ClusterPeers&) = delete;
  ClusterPeers& operator=(const ClusterPeers&) = delete;

  void start();
  // Queues `done` for the next round; it runs on the peers' thread with one report per URL,
  // in --cluster-nodes order. Returns false (and drops `done`) after stop().
  bool fetch(Done done);
  // Refuses new fetches, answers those already queued (one last round), joins the thread.
  void stop();

 private:
  void run();
  std::vector<NodeReport> round() const;

  const Options options_;
  std::mutex mu_;
  std::condition_variable wake_;
  // Guarded by mu_.
  std::vector<Done> waiting_;
  bool stopping_ = false;
  std::thread thread_;  // started by start(), joined by stop(); both on the wiring thread
};

}  // namespace spillway::app
