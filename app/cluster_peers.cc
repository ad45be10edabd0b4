#include "app/cluster_peers.h"

#include "app/admin_client.h"

namespace spillway::app {
namespace {

// One peer's reports. A peer that answers the backlog but not GET /v1/node (an older version)
// still counts; its scale-down state shows as unknown.
NodeReport ask(const std::string& url, const ClusterPeers::Options& options) {
  NodeReport r;
  r.url = url;
  AdminClient client(url, options.token, options.timeout);
  ApiReply backlog = client.call(
      "GET", "/v1/backlog?sort=depth&top=" + std::to_string(ClusterPeers::kAccountsPerNode));
  if (backlog.exit != kExitOk) {
    r.error = backlog.error;
    return r;
  }
  if (!backlog.body.is_object()) {
    r.error = url + " answered GET /v1/backlog without a JSON object";
    return r;
  }
  r.backlog = std::move(backlog.body);
  ApiReply node = client.call("GET", "/v1/node");
  if (node.exit == kExitOk) r.node = std::move(node.body);
  return r;
}

}  // namespace

void ClusterPeers::start() {
  thread_ = std::thread([this] { run(); });
}

bool ClusterPeers::fetch(Done done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return false;
    waiting_.push_back(std::move(done));
  }
  wake_.notify_one();
  return true;
}

void ClusterPeers::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void ClusterPeers::run() {
  for (;;) {
    std::vector<Done> batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
      if (waiting_.empty()) return;  // stopping, nobody waits
      batch.swap(waiting_);
    }
    std::vector<NodeReport> reports = round();
    for (const Done& done : batch) done(reports);
  }
}

// One thread per peer, so a round lasts as long as the slowest peer, not the sum.
std::vector<NodeReport> ClusterPeers::round() const {
  std::vector<NodeReport> reports(options_.urls.size());
  std::vector<std::thread> askers;
  askers.reserve(reports.size());
  for (size_t i = 0; i < reports.size(); ++i) {
    askers.emplace_back([this, &reports, i] { reports[i] = ask(options_.urls[i], options_); });
  }
  for (std::thread& t : askers) t.join();
  return reports;
}

}  // namespace spillway::app
