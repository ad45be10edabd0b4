#include "test/app/replay_fixture.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "test/ingest/server_fixture.h"

namespace spillway::test {
namespace {

using nlohmann::json;
constexpr const char* kJson = "application/json";

// Appends a number without operator+ on temporaries (GCC 12 -Wrestrict false positive).
std::string numbered(std::string prefix, int n) {
  prefix.append(std::to_string(n));
  return prefix;
}

json event(const std::string& account, int n, bool poison) {
  json props = {{"n", n}};
  if (poison) props["tag"] = kPoison;
  return {{"type", "track"},
          {"userId", "u1"},
          {"event", "Replayed"},
          {"messageId", numbered(account + "-", n)},
          {"properties", props}};
}

int index_of(const FakeDelivery& d) {
  json e = json::parse(d.event, nullptr, false);
  if (!e.is_object() || !e.contains("properties")) return -1;
  return e["properties"].value("n", -1);
}

}  // namespace

ReplayFixture::ReplayFixture(std::vector<std::string> extra_args,
                             FakeDownstreamOptions fake_options)
    : fake(std::move(fake_options)), data_(dir_.sub("data")) {
  if (Status s = fake.start(); !s.is_ok()) throw std::runtime_error(s.to_string());
  // Short retry and breaker waits keep recoveries quick; a test's own flags come last and win.
  args_ = {"--sink", fake.url(), "--retry-max-ms", "250", "--sink-timeout-ms", "3000"};
  args_.insert(args_.end(), extra_args.begin(), extra_args.end());
  restart();
}

ReplayFixture::~ReplayFixture() {
  client_.reset();
  server_.reset();  // SIGKILLs a server still running
  fake.stop();
}

void ReplayFixture::connect() {
  client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  client_->set_read_timeout(20, 0);
}

int ReplayFixture::port() const { return server_->port(); }

void ReplayFixture::kill9() {
  client_.reset();
  server_->kill9();
}

void ReplayFixture::restart() {
  server_ = std::make_unique<ServerProcess>(data_, args_);
  if (!server_->start()) throw std::runtime_error("server did not start:\n" + server_->log());
  connect();
}

int ReplayFixture::stop() {
  client_.reset();
  return server_->stop();
}

void ReplayFixture::create_account(const std::string& name) {
  std::string key = "wk-" + name + "-0123456789";
  auto r = admin("POST", "/v1/admin/accounts", json{{"name", name}, {"write_key", key}}.dump());
  REQUIRE(r);
  REQUIRE(r->status == 201);
  auth_[name] = ServerFixture::basic(key);
}

void ReplayFixture::ingest(const std::string& account, int first, int count,
                           const std::set<int>& poison) {
  json batch = {{"batch", json::array()}};
  for (int n = first; n < first + count; ++n)
    batch["batch"].push_back(event(account, n, poison.count(n) > 0));
  auto r = client_->Post("/v1/batch", {{"Authorization", auth_.at(account)}}, batch.dump(), kJson);
  REQUIRE(r);
  REQUIRE(r->status == 200);
  CHECK(json::parse(r->body).value("stored", -1) == count);
}

httplib::Result ReplayFixture::admin(const std::string& method, const std::string& path,
                                     const std::string& body, const char* token) {
  httplib::Headers h;
  if (token != nullptr && *token != '\0')
    h.emplace("Authorization", std::string("Bearer ") + token);
  if (method == "GET") return client_->Get(path.c_str(), h);
  if (method == "DELETE") return client_->Delete(path.c_str(), h);
  if (method == "PUT") return client_->Put(path.c_str(), h, body, kJson);
  return client_->Post(path.c_str(), h, body, kJson);
}

json ReplayFixture::backlog() {
  auto r = admin("GET", "/v1/backlog?top=100");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  return json::parse(r->body);
}

json ReplayFixture::account(const std::string& name) {
  auto r = admin("GET", "/v1/accounts/" + name);
  REQUIRE(r);
  REQUIRE(r->status == 200);
  return json::parse(r->body);
}

bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (cond()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

DeliveryReport report(const FakeDownstream& fake) {
  DeliveryReport out;
  std::map<std::pair<std::string, uint64_t>, std::set<std::string>> batches;
  std::map<std::string, uint64_t> last_seq;
  for (const FakeDelivery& d : fake.ambiguous()) batches[{d.account, d.seq}].insert(d.batch_id);
  std::set<std::pair<std::string, uint64_t>> accepted;
  for (const FakeDelivery& d : fake.deliveries()) {
    auto key = std::make_pair(d.account, d.seq);
    batches[key].insert(d.batch_id);
    if (!accepted.insert(key).second) continue;
    auto last = last_seq.find(d.account);
    if (last != last_seq.end() && d.seq < last->second) ++out.reorders;
    last_seq[d.account] = std::max(d.seq, last == last_seq.end() ? 0 : last->second);
    out.order[d.account].push_back(index_of(d));
  }
  const size_t total = fake.deliveries().size() + fake.ambiguous().size();
  size_t distinct = batches.size();
  out.duplicates = total - distinct;
  for (const auto& [key, ids] : batches) out.duplicates_in_other_batches += ids.size() > 1 ? 1 : 0;
  out.missing_idempotency_key = fake.stats().missing_idempotency_key;
  return out;
}

std::vector<int> range(int first, int count) {
  std::vector<int> out;
  for (int n = first; n < first + count; ++n) out.push_back(n);
  return out;
}

std::vector<int> without(std::vector<int> all, const std::set<int>& removed) {
  std::erase_if(all, [&](int n) { return removed.count(n) > 0; });
  return all;
}

}  // namespace spillway::test
