#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "ingest/ingest_store.h"

namespace spillway::test {

// In-memory IngestStore for route tests: credentials are a map, appends are recorded and
// completed synchronously with `next_status` (OK by default). Dedupe by idempotency key per
// account, like the queue. Thread-safe.
class FakeStore final : public ingest::IngestStore {
 public:
  void add_key(queue::KeyKind kind, std::string secret, AccountId account) {
    std::lock_guard<std::mutex> lock(mu_);
    keys_[{kind, std::move(secret)}] = account;
  }
  Result<AccountId> lookup_credential(queue::KeyKind kind, std::string_view secret) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = keys_.find({kind, std::string(secret)});
    if (it == keys_.end()) return Status::not_found("unknown credential");
    return it->second;
  }
  void append(queue::AppendRequest request,
              std::function<void(Result<queue::AppendResult>)> done) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (!next_status.is_ok()) {
      Status s = next_status;
      lock.unlock();
      return done(s);
    }
    queue::AppendResult result;
    for (auto& e : request.events) {
      bool dup = !e.idempotency_key.empty() &&
                 !seen_.insert({request.account.value, e.idempotency_key}).second;
      result.outcomes.push_back({Seq{++seq_}, dup});
      (dup ? result.duplicates : result.stored)++;
    }
    result.rejected = static_cast<uint32_t>(request.rejected.size());
    appends.push_back(std::move(request));
    lock.unlock();
    done(result);
  }
  void create_account(queue::CreateAccountRequest request,
                      std::function<void(Result<AccountId>)> done) override {
    std::unique_lock<std::mutex> lock(mu_);
    for (const auto& c : request.credentials)
      if (keys_.count({c.kind, c.secret})) return done(Status::already_exists("credential"));
    if (!names_.insert(request.name).second) return done(Status::already_exists("name"));
    AccountId id{static_cast<uint32_t>(names_.size())};
    for (const auto& c : request.credentials) keys_[{c.kind, c.secret}] = id;
    created.push_back(request);
    lock.unlock();
    done(id);
  }
  Status health() const override { return health_status; }
  bool ingest_refused() const override { return refused; }

  // Test-visible state (set before requests, read after).
  Status next_status;
  Status health_status;
  bool refused = false;
  std::vector<queue::AppendRequest> appends;
  std::vector<queue::CreateAccountRequest> created;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<queue::KeyKind, std::string>, AccountId> keys_;
  std::set<std::pair<uint32_t, std::string>> seen_;
  std::set<std::string> names_;
  uint64_t seq_ = 0;
};

}  // namespace spillway::test
