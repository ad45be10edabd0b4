#include "test/reliability/ledger.h"

#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

namespace spillway::test {

double wall_now() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string basic_auth(const std::string& user) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string in = user + ":";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << 16;
    if (i + 1 < in.size()) n |= static_cast<uint32_t>(static_cast<uint8_t>(in[i + 1])) << 8;
    if (i + 2 < in.size()) n |= static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[n & 63] : '=';
  }
  return "Basic " + out;
}

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kIndeterminate:
      return "indeterminate";
  }
  return "?";
}

void Ledger::record(std::vector<Attempt> attempts) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& a : attempts) attempts_.push_back(std::move(a));
}

std::vector<Attempt> Ledger::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return attempts_;
}

size_t Ledger::count(Outcome outcome) const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& a : attempts_) n += a.outcome == outcome ? 1 : 0;
  return n;
}

namespace {

Outcome classify(const httplib::Result& r) {
  if (!r) return Outcome::kIndeterminate;
  if (r->status >= 200 && r->status < 300) return Outcome::kOk;
  if ((r->status >= 400 && r->status < 500) || r->status == 503) return Outcome::kFailed;
  return Outcome::kIndeterminate;
}

}  // namespace

Outcome LedgerProducer::send_once(int port, int timeout_ms) {
  nlohmann::json batch = {{"batch", nlohmann::json::array()}};
  std::vector<Attempt> attempts;
  const double sent = wall_now();
  for (int k = 0; k < spec_.batch_events; ++k) {
    Attempt a;
    a.id = spec_.run + "-" + spec_.account + "-p" + std::to_string(spec_.producer) + "-" +
           std::to_string(counter_);
    a.account = spec_.account;
    a.producer = spec_.producer;
    a.counter = counter_++;
    a.sent_at = sent;
    batch["batch"].push_back({{"type", "track"},
                              {"userId", "u"},
                              {"event", "ledger"},
                              {"messageId", a.id},
                              {"properties", {{"pad", std::string(spec_.pad_bytes, 'x')}}}});
    attempts.push_back(std::move(a));
  }
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(std::chrono::milliseconds(timeout_ms));
  client.set_read_timeout(std::chrono::milliseconds(timeout_ms));
  client.set_write_timeout(std::chrono::milliseconds(timeout_ms));
  auto r =
      client.Post("/v1/batch", {{"Authorization", spec_.auth}}, batch.dump(), "application/json");
  const Outcome outcome = classify(r);
  const double answered = wall_now();
  for (auto& a : attempts) {
    a.outcome = outcome;
    a.status = r ? r->status : 0;
    a.answered_at = answered;
  }
  ledger_.record(std::move(attempts));
  return outcome;
}

uint64_t LedgerProducer::run(int port, const std::atomic<bool>& stop, int pause_ms) {
  uint64_t sent = 0;
  while (!stop.load()) {
    const Outcome o = send_once(port);
    ++sent;
    // A refused or dead server: back off a little instead of spinning on connect errors.
    if (o != Outcome::kOk) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (pause_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
  }
  return sent;
}

}  // namespace spillway::test
