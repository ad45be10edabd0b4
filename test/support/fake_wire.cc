#include "test/support/fake_wire.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace spillway::test {
namespace {

using nlohmann::json;

int port_of(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
  return -1;
}

bool socket_matches(int fd, int local_port, int remote_port) {
  sockaddr_storage local{};
  sockaddr_storage peer{};
  socklen_t n1 = sizeof local;
  socklen_t n2 = sizeof peer;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &n1) != 0) return false;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &n2) != 0) return false;
  return port_of(local) == local_port && port_of(peer) == remote_port;
}

Result<FakeDelivery> parse_event(const json& e, bool keep_event) {
  if (!e.is_object()) return Status::invalid_argument("event entry is not an object");
  const auto account = e.find("account");
  const auto seq = e.find("seq");
  const auto received = e.find("received_at_ms");
  const auto event = e.find("event");
  if (account == e.end() || !account->is_string())
    return Status::invalid_argument("missing account");
  if (seq == e.end() || !seq->is_number_unsigned()) return Status::invalid_argument("bad seq");
  if (received == e.end() || !received->is_number_integer())
    return Status::invalid_argument("bad received_at_ms");
  if (event == e.end()) return Status::invalid_argument("missing event");
  if (!e.contains("received_at") || !e["received_at"].is_string())
    return Status::invalid_argument("missing received_at");
  FakeDelivery d;
  d.account = account->get<std::string>();
  d.seq = seq->get<uint64_t>();
  d.received_at_ms = received->get<int64_t>();
  if (keep_event) d.event = event->dump();
  const auto replay = e.find("replay_id");
  const auto original = e.find("original_seq");
  if (replay != e.end() || original != e.end()) {
    if (replay == e.end() || !replay->is_number_unsigned() || original == e.end() ||
        !original->is_number_unsigned())
      return Status::invalid_argument("bad replay_id or original_seq");
    d.replay_id = replay->get<uint64_t>();
    d.original_seq = original->get<uint64_t>();
  }
  if (event->is_object()) {
    const auto id = event->find("messageId");
    if (id != event->end() && id->is_string()) d.message_id = id->get<std::string>();
  }
  return d;
}

}  // namespace

Result<std::vector<FakeDelivery>> parse_batch(const std::string& body,
                                              const std::string& idempotency_key,
                                              bool keep_events) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::invalid_argument("body is not JSON");
  const auto id = j.find("batch_id");
  const auto events = j.find("events");
  if (id == j.end() || !id->is_string()) return Status::invalid_argument("missing batch_id");
  if (events == j.end() || !events->is_array()) return Status::invalid_argument("missing events");
  std::vector<FakeDelivery> out;
  out.reserve(events->size());
  for (const auto& e : *events) {
    Result<FakeDelivery> d = parse_event(e, keep_events);
    if (!d) return d.status();
    d->batch_id = id->get<std::string>();
    d->idempotency_key = idempotency_key;
    out.push_back(std::move(d).value());
  }
  return out;
}

std::optional<FakeDelivery> find_marker(const std::vector<FakeDelivery>& batch,
                                        const std::string& marker) {
  for (const auto& d : batch)
    if (d.event.find(marker) != std::string::npos) return d;
  return std::nullopt;
}

bool close_connection_of(const httplib::Request& req) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    const std::string name = entry.path().filename().string();
    int fd = -1;
    const auto [ptr, err] = std::from_chars(name.data(), name.data() + name.size(), fd);
    if (err != std::errc() || fd < 0) continue;
    if (socket_matches(fd, req.local_port, req.remote_port)) {
      ::shutdown(fd, SHUT_RDWR);
      return true;
    }
  }
  return false;
}

double wall_seconds() {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return static_cast<double>(us.count()) / 1e6;
}

}  // namespace spillway::test
