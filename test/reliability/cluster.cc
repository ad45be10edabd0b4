#include "test/reliability/cluster.h"

#include <fcntl.h>
#include <httplib.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

namespace spillway::test {

long env_int(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtol(v, nullptr, 10) : fallback;
}

namespace {

FakeDownstreamOptions downstream_options() {
  FakeDownstreamOptions o;
  o.keep_payloads = true;
  o.threads = 16;
  return o;
}

}  // namespace

Cluster::Cluster(std::vector<std::string> server_args, std::string data_dir)
    : data_(data_dir.empty() ? dir_.sub("data") : std::move(data_dir)),
      args_(std::move(server_args)),
      downstream_(downstream_options()) {
  std::random_device rd;
  run_ = "r" + std::to_string(rd() % 1000000);
  if (Status s = downstream_.start(); !s.is_ok())
    throw std::runtime_error("fake downstream: " + s.to_string());
}

Cluster::~Cluster() {
  stop_producers();
  if (server_) server_->kill9();
  downstream_.stop();
}

bool Cluster::start(std::vector<std::string> wrapper) {
  if (server_) old_logs_.push_back(server_->log());
  std::vector<std::string> args = {"--sink", downstream_.url(), "--retry-max-ms", "500"};
  args.insert(args.end(), args_.begin(), args_.end());
  server_ = std::make_unique<ServerProcess>(data_, args);
  server_->set_wrapper(std::move(wrapper));
  // Before the spawn: the drainer may deliver before the `ready` line is seen.
  restarts_.push_back(wall_now());
  if (!server_->start()) {
    std::fprintf(stderr, "server did not start:\n%s\n", server_->log().c_str());
    return false;
  }
  port_ = server_->port();
  return true;
}

void Cluster::kill9() {
  if (server_) server_->kill9();
  wait_unlocked();
}

// Under a wrapper the killed server is not our child: wait until it has really gone (its
// flock on the data dir is released) before anyone opens the store.
void Cluster::wait_unlocked() const {
  const std::string lock = data_ + "/spillway.lock";
  for (int i = 0; i < 1000; ++i) {
    int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    ::close(fd);
    if (free) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int Cluster::stop() { return server_ ? server_->stop() : -1; }

std::string Cluster::logs() const {
  std::string all;
  for (const auto& l : old_logs_) all += l;
  if (server_) all += server_->log();
  return all;
}

std::string Cluster::log_tail(size_t n) const {
  if (!server_) return "";
  std::vector<std::string> lines;
  std::istringstream in(server_->log());
  for (std::string line; std::getline(in, line);)
    if (line.find("append refused") == std::string::npos) lines.push_back(line);
  std::string out;
  for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i)
    out += lines[i] + "\n";
  return out;
}

int Cluster::admin_post(const std::string& path, const std::string& body) {
  httplib::Client c("127.0.0.1", port_);
  c.set_read_timeout(10, 0);
  auto r = c.Post(path, {{"Authorization", std::string("Bearer ") + kTestAdminToken}}, body,
                  "application/json");
  return r ? r->status : 0;
}

std::string Cluster::get(const std::string& path, int* status) {
  httplib::Client c("127.0.0.1", port_);
  c.set_read_timeout(10, 0);
  auto r = c.Get(path, {{"Authorization", std::string("Bearer ") + kTestAdminToken}});
  if (status != nullptr) *status = r ? r->status : 0;
  return r ? r->body : "";
}

void Cluster::add_accounts(int n, int producers_each, int batch_events, size_t pad_bytes) {
  for (int a = 0; a < n; ++a) {
    std::string name = "acct" + std::to_string(a);
    std::string key = "wk_" + run_ + "_" + name;
    nlohmann::json body = {{"name", name}, {"write_key", key}};
    if (admin_post("/v1/admin/accounts", body.dump()) != 201)
      throw std::runtime_error("cannot create account " + name);
    for (int p = 0; p < producers_each; ++p) {
      ProducerSpec spec{
          run_,         name,     basic_auth(key), static_cast<int>(producers_.size()),
          batch_events, pad_bytes};
      producers_.push_back(std::make_unique<LedgerProducer>(spec, ledger_));
    }
  }
}

void Cluster::start_producers(int pause_ms) {
  stop_ = false;
  for (auto& p : producers_)
    threads_.emplace_back([this, pp = p.get(), pause_ms] { pp->run(port_, stop_, pause_ms); });
}

void Cluster::stop_producers() {
  stop_ = true;
  for (auto& t : threads_) t.join();
  threads_.clear();
}

CheckInput Cluster::input_without_store() const {
  CheckInput in;
  in.attempts = ledger_.snapshot();
  in.deliveries = downstream_.deliveries();
  in.ambiguous = downstream_.ambiguous();
  in.restarts = restarts_;
  return in;
}

CheckReport Cluster::check(bool allow_redelivery_without_crash) {
  CheckInput in = input_without_store();
  in.store = snapshot_store(data_);
  // The server itself reports an ack it could not record (a failed settle commit, e.g.
  // MAP_FULL): those events are re-sent without a crash, which I4 allows.
  in.allow_redelivery_without_crash = allow_redelivery_without_crash ||
                                      logs().find("could not record delivery") != std::string::npos;
  return check_invariants(in);
}

bool Cluster::wait_drained(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (fully_drained(input_without_store())) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace spillway::test
